import { type ExperimentSpec, ExperimentSpecObject } from './experiment.js'

/**
 * A spec as stored in `experiments`: the schema's output at enqueue, so
 * durations are already milliseconds. Parsing it again as input would read
 * those milliseconds as seconds (a 15m interval became 250 hours on every
 * restart), so the stored values win and the schema only supplies fields that
 * were added to it after the spec was stored. Its shape only: limits tightened since
 * (e.g. on durations) must not stop a spec accepted then from loading.
 */
export function parseStoredSpec(text: string): ExperimentSpec {
  const stored: unknown = JSON.parse(text)
  return overlay(ExperimentSpecObject.parse(stored), stored) as ExperimentSpec
}

const isPlainObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x)

function overlay(base: unknown, top: unknown): unknown {
  if (top === undefined) return base
  if (Array.isArray(top)) return top.map((t, i) => overlay(Array.isArray(base) ? base[i] : undefined, t))
  if (isPlainObject(top)) {
    const out: Record<string, unknown> = isPlainObject(base) ? { ...base } : {}
    for (const [k, v] of Object.entries(top)) out[k] = overlay(out[k], v)
    return out
  }
  return top
}
