import { z } from 'zod'
import { MetricName, Slug } from './experiment.js'
import { textProblem } from './json-limits.js'

/** Date and time with an explicit offset: local times would be read in the server's zone. */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/

const Timestamp = z.union([
  z.number().int('epoch milliseconds must be an integer').nonnegative('must not be before 1970 (epoch milliseconds >= 0)'),
  z
    .string()
    .refine((s) => ISO_8601.test(s) && !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 time (e.g. 2026-01-05T10:00:00.000Z) or epoch milliseconds')
    // The warehouse column would hold it, but nothing before the epoch is telemetry: a zeroed clock or a typo.
    .refine((s) => !(Date.parse(s) < 0), 'must not be before 1970-01-01T00:00:00Z'),
])

/** The free-text fields checked for what the warehouse cannot store (one pass per event, not one refinement per field). */
const TEXT_FIELDS = ['eventId', 'unitId', 'service'] as const

/** One telemetry event as services send it (HTTP batch or Kafka). */
export const TelemetryEventSchema = z
  .object({
    eventId: z.string().min(1).max(128),
    ts: Timestamp,
    experimentId: Slug,
    variant: Slug,
    unitId: z.string().min(1).max(256),
    service: z.string().min(1).max(128).default('unknown'),
    metric: MetricName,
    value: z.number().refine(Number.isFinite, 'must be a finite number').optional(),
    /** A success/failure outcome; stored as 1/0. */
    outcome: z.boolean().optional(),
    attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  })
  .strict()
  .superRefine((e, ctx) => {
    if ((e.value === undefined) === (e.outcome === undefined)) ctx.addIssue({ code: 'custom', message: 'exactly one of value or outcome is required', path: ['value'] })
    // Free text is stored: no lone UTF-16 surrogates (the engine refuses the whole
    // insert over one) and no control characters (never telemetry; they corrupt
    // the terminals and logs that show the value).
    for (const field of TEXT_FIELDS) {
      const problem = textProblem(e[field])
      if (problem) ctx.addIssue({ code: 'custom', message: problem, path: [field] })
    }
    for (const [key, v] of Object.entries(e.attributes)) {
      const keyProblem = textProblem(key)
      if (keyProblem) ctx.addIssue({ code: 'custom', message: `key ${JSON.stringify(key)} ${keyProblem}`, path: ['attributes'] })
      const valueProblem = typeof v === 'string' ? textProblem(v) : null
      if (valueProblem) ctx.addIssue({ code: 'custom', message: valueProblem, path: ['attributes', key] })
    }
  })

export type TelemetryEvent = z.infer<typeof TelemetryEventSchema>

/** The row stored in the warehouse `events` table. */
export type EventRow = {
  event_id: string
  ts: string
  experiment_id: string
  variant: string
  unit_id: string
  service: string
  metric: string
  value: number
  attributes: Record<string, string>
  received_at: string
}

/** ClickHouse DateTime64(3) text in UTC: "2026-01-01 00:00:00.000". */
export function toWarehouseTime(ms: number): string {
  const iso = new Date(ms).toISOString()
  // Years 0-9999 have the fixed 24-character form; the others keep their sign and digits.
  return iso.length === 24 ? `${iso.slice(0, 10)} ${iso.slice(11, 23)}` : iso.replace('T', ' ').replace('Z', '')
}

export function eventTimeMs(ts: string | number): number {
  return typeof ts === 'number' ? ts : Date.parse(ts)
}

/** `receivedAt`: the batch's received_at already as warehouse time (one per batch, not one per event). */
export function toEventRow(e: TelemetryEvent, receivedAtMs: number, receivedAt: string = toWarehouseTime(receivedAtMs)): EventRow {
  // Attributes that are all strings already are the row's as they are (one object less per event);
  // nothing changes a row's attributes in place (masking writes a new object).
  let attributes = e.attributes as Record<string, string>
  for (const k in e.attributes) {
    if (typeof e.attributes[k] !== 'string') {
      attributes = {}
      for (const j in e.attributes) attributes[j] = String(e.attributes[j])
      break
    }
  }
  const ms = eventTimeMs(e.ts)
  // A batch's events mostly share a few timestamps: formatting one is the costliest step of a row.
  if (ms !== lastMs) {
    lastMs = ms
    lastTime = toWarehouseTime(ms)
  }
  return {
    event_id: e.eventId,
    ts: lastTime,
    experiment_id: e.experimentId,
    variant: e.variant,
    unit_id: e.unitId,
    service: e.service,
    metric: e.metric,
    value: e.value ?? (e.outcome ? 1 : 0),
    attributes,
    received_at: receivedAt,
  }
}

let lastMs = Number.NaN
let lastTime = ''

