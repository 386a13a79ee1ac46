import { readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import { type PolicyConfig, PolicyConfigSchema } from './domain/policy-config.js'
import { parseWith } from './domain/validation.js'
import { InputError } from './errors.js'

/** Parses a policy file's text (YAML or JSON); every problem is listed with its path. */
export function parsePolicyText(text: string, source = 'policy'): PolicyConfig {
  let raw: unknown
  try {
    raw = parseYaml(text) ?? {}
  } catch (error) {
    throw new InputError(`${source}: invalid YAML: ${(error as Error).message}`, [], 'INVALID_POLICY')
  }
  const parsed = parseWith(PolicyConfigSchema, raw)
  if (!parsed.ok) throw new InputError(`${source}: invalid policy file`, parsed.problems, 'INVALID_POLICY')
  return parsed.value
}

/** Reads the policy file once, at start-up (RUNWAY_POLICY_FILE or `--policy`). */
export function loadPolicyFile(path: string): PolicyConfig {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new InputError(`cannot read policy file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, [], 'INVALID_POLICY')
  }
  return parsePolicyText(text, path)
}
