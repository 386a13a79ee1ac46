import { parse as parseYaml } from 'yaml'
import { InputError } from '../errors.js'

/** Reads a spec from JSON or YAML text (YAML is a superset; JSON errors read better as JSON). */
export function parseSpecText(text: string, source = 'body'): unknown {
  const trimmed = text.trim()
  if (trimmed === '') throw new InputError(`${source} is empty`)
  if (trimmed.startsWith('{')) {
    try {
      return JSON.parse(trimmed)
    } catch (error) {
      throw new InputError(`${source}: invalid JSON: ${(error as Error).message}`)
    }
  }
  try {
    return parseYaml(text)
  } catch (error) {
    throw new InputError(`${source}: invalid YAML: ${(error as Error).message}`)
  }
}
