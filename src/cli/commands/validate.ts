import { readFileSync } from 'node:fs'
import { parseSpecText } from '../../api/spec-body.js'
import { ExperimentSpecSchema } from '../../domain/experiment.js'
import { checkEnqueuePolicy } from '../../domain/policy.js'
import { parseWith } from '../../domain/validation.js'
import { CliExit } from '../output.js'

/** `runway validate spec.yaml`: every schema problem and policy failure, with its path. */
export function validateCommand(file: string): void {
  const text = file === '-' ? readFileSync(0, 'utf8') : readSpecFile(file)
  const parsed = parseWith(ExperimentSpecSchema, parseSpecText(text, file))
  if (!parsed.ok) {
    for (const p of parsed.problems) console.log(`${p.path}: ${p.message}`)
    throw new CliExit(1, `${file}: ${parsed.problems.length} problem(s)`)
  }
  const policy = checkEnqueuePolicy(parsed.value)
  if (!policy.allowed) {
    for (const f of policy.failures) console.log(`${f.path}: ${f.message} [policy: ${f.rule}]`)
    throw new CliExit(1, `${file}: valid shape, but ${policy.failures.length} policy rule(s) would refuse it`)
  }
  console.log(`${file}: ok (${parsed.value.id}, ${parsed.value.variants.length} variants, ${parsed.value.rollout.steps.length} rollout steps)`)
}

export function readSpecFile(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    throw new CliExit(2, `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
}
