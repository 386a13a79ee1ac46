import { readFileSync } from 'node:fs'
import { analyze } from '../../stats/analyze.js'
import { CliExit } from '../output.js'

/** `runway analyze FILE|-`: summary statistics in, comparisons out (JSON). */
export function analyzeCommand(file: string): void {
  let text: string
  try {
    text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8')
  } catch (error) {
    throw new CliExit(2, `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (error) {
    throw new CliExit(1, `${file}: invalid JSON: ${(error as Error).message}`)
  }
  const out = analyze(raw)
  if (!out.ok) {
    for (const e of out.errors) console.error(`${e.path}: ${e.message}`)
    throw new CliExit(1, `${file}: ${out.errors.length} problem(s) in the input`)
  }
  const { ok: _ok, ...result } = out
  console.log(JSON.stringify(result, null, 2))
}
