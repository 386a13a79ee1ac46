import type { TelemetryEvent } from './telemetry.js'

/**
 * The usual telemetry event, checked without zod. zod's parse is most of the
 * CPU an accepted event costs (issue 16); almost every event is a plain,
 * well-formed object. `fastEvent` accepts only inputs it can prove
 * TelemetryEventSchema accepts, and returns what the schema's parse returns
 * for them; anything else (every error, every odd shape) answers null and
 * goes to the schema, so reasons stay zod's. test/unit/domain/telemetry-fast.test.ts
 * checks both claims against the schema on generated inputs.
 */
export const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/
export const SLUG = /^[a-z0-9][a-z0-9_-]{0,62}$/
export const METRIC = /^[a-z][a-z0-9_.]{0,62}$/
/** What json-limits' textProblem refuses: control characters and lone surrogates. */
const NOT_STORABLE = /[\u0000-\u001f\u007f-\u009f]|\p{Cs}/u
const KEYS = new Set(['eventId', 'ts', 'experimentId', 'variant', 'unitId', 'service', 'metric', 'value', 'outcome', 'attributes'])

const text = (v: unknown, max: number): v is string => typeof v === 'string' && v.length >= 1 && v.length <= max && !NOT_STORABLE.test(v)

function plainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

/** The parsed event when the schema surely accepts `v` (same output), else null: ask the schema. */
export function fastEvent(v: unknown): TelemetryEvent | null {
  if (!plainObject(v)) return null
  for (const k in v) if (!KEYS.has(k) || !Object.prototype.hasOwnProperty.call(v, k)) return null
  const { eventId, ts, experimentId, variant, unitId, service, metric, value, outcome, attributes } = v
  if (!text(eventId, 128) || !text(unitId, 256)) return null
  if (typeof experimentId !== 'string' || !SLUG.test(experimentId) || typeof variant !== 'string' || !SLUG.test(variant)) return null
  if (typeof metric !== 'string' || !METRIC.test(metric)) return null
  if (service !== undefined && !text(service, 128)) return null
  if (typeof ts === 'number') {
    if (!Number.isSafeInteger(ts) || ts < 0) return null
  } else if (typeof ts !== 'string' || !ISO_8601.test(ts) || !(Date.parse(ts) >= 0)) return null
  if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value))) return null
  if (outcome !== undefined && typeof outcome !== 'boolean') return null
  if ((value === undefined) === (outcome === undefined)) return null
  let attrs: Record<string, string | number | boolean> = {}
  if (attributes !== undefined) {
    if (!plainObject(attributes)) return null
    attrs = {}
    for (const key in attributes) {
      if (!Object.prototype.hasOwnProperty.call(attributes, key) || key === '__proto__' || NOT_STORABLE.test(key)) return null
      const a = attributes[key]
      if (typeof a === 'string') {
        if (NOT_STORABLE.test(a)) return null
      } else if (typeof a === 'number') {
        if (!Number.isFinite(a)) return null
      } else if (typeof a !== 'boolean') return null
      attrs[key] = a
    }
  }
  const e: TelemetryEvent = { eventId, ts, experimentId, variant, unitId, service: service ?? 'unknown', metric, attributes: attrs }
  if (value !== undefined) e.value = value
  if (outcome !== undefined) e.outcome = outcome
  return e
}
