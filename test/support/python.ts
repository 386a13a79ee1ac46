/**
 * Runs an independent reference implementation in Python (scipy / statsmodels / numpy,
 * installed by scripts/setup-python.sh into .cache/pyenv). One process per batch of
 * cases: JSON on stdin, JSON on stdout. A missing environment is an error, never a skip.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const root = resolve(here, '../..')
export const pythonEnv = process.env.RUNWAY_PYENV ?? resolve(root, '.cache/pyenv')
const pythonBin = resolve(pythonEnv, 'bin/python')

export function runPython<T = unknown>(script: string, input: unknown): T {
  if (!existsSync(pythonBin)) {
    throw new Error(
      `Python reference environment not found at ${pythonEnv}. ` +
        'Run `bash scripts/setup-python.sh` (scripts/test.sh does this) to install scipy, statsmodels and numpy.',
    )
  }
  const path = resolve(here, 'py', script)
  const out = spawnSync(pythonBin, [path], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  })
  if (out.error) throw out.error
  if (out.status !== 0) throw new Error(`${script} exited ${out.status}:\n${out.stderr}`)
  return JSON.parse(out.stdout) as T
}

/** |a − b| / max(|b|, floor): relative error with an absolute floor for values near 0. */
export function relErr(a: number | null | undefined, b: number | null | undefined, floor = 1e-300): number {
  if (a === b) return 0
  if (a === null || a === undefined || b === null || b === undefined) return Infinity
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b ? 0 : Infinity
  return Math.abs(a - b) / Math.max(Math.abs(b), floor)
}
