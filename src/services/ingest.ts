import { createHash, randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { ExperimentRecord } from '../domain/experiment-record.js'
import { type AttributeRules, scrubAttributes } from '../domain/pii.js'
import { BUILTIN_RULES } from '../domain/policy-config.js'
import { type EventRow, TelemetryEventSchema, eventTimeMs, toEventRow, toWarehouseTime } from '../domain/telemetry.js'
import { problemsOf } from '../domain/validation.js'
import { TooLargeError } from '../errors.js'
import type { Clock } from '../ports/clock.js'
import type { StateStore } from '../ports/state-store.js'
import type { Warehouse } from '../ports/warehouse.js'

export interface IngestDeps {
  warehouse: Warehouse
  state: StateStore
  clock: Clock
  log: Logger
  limits: { maxBytes: number; maxEvents: number }
  /** Data rules by namespace (allow-list, PII fields); default: detectors on, nothing dropped. */
  dataRules?: (namespace: string) => AttributeRules
  /** Told how many lines of each stored batch were accepted and dead-lettered (metrics). */
  onStored?: (source: string, accepted: number, deadLettered: number) => void
}

export interface IngestRejection {
  line: number
  reason: string
}

export interface IngestResult {
  batchId: string
  accepted: number
  rejected: number
  /** The first rejections, in line order (all of them are in dead_letters). */
  errors: IngestRejection[]
  /** Attribute values masked as PII (each detected value or configured field once). */
  masked: number
  /** Attributes dropped for not being on the namespace's allow-list. */
  dropped: number
}

export interface IngestBatch {
  body: string
  /** 'ndjson' splits lines; 'json' expects one array (or one object). */
  format: 'ndjson' | 'json'
  source: string
  /** Client-chosen key: a retry with the same key is stored once. */
  idempotencyKey?: string
}

/** One raw event with where it came from (a line number, or a Kafka offset). */
export interface SourceLine {
  line: number
  raw: string
}

export interface LinesResult {
  batchId: string
  accepted: number
  /** Every rejection, in input order (a stream consumer routes each one). */
  rejections: IngestRejection[]
  masked: number
  dropped: number
}

const MAX_REPORTED_ERRORS = 20
/** Events further ahead of the clock than this are refused as clock errors. */
const MAX_FUTURE_MS = 24 * 3_600_000

interface Line {
  line: number
  raw: string
  value?: unknown
  parseError?: string
}

function splitBatch(batch: IngestBatch): Line[] {
  if (batch.format === 'json') {
    let parsed: unknown
    try {
      parsed = JSON.parse(batch.body)
    } catch (error) {
      return [{ line: 1, raw: batch.body, parseError: `invalid JSON: ${(error as Error).message}` }]
    }
    const items = Array.isArray(parsed) ? parsed : [parsed]
    return items.map((value, i) => ({ line: i + 1, raw: JSON.stringify(value) ?? 'undefined', value }))
  }
  const lines: Line[] = []
  batch.body.split('\n').forEach((text, i) => {
    const raw = text.replace(/\r$/, '')
    if (raw.trim() === '') return
    lines.push(parseLine({ line: i + 1, raw }))
  })
  return lines
}

function parseLine({ line, raw }: SourceLine): Line {
  try {
    return { line, raw, value: JSON.parse(raw) }
  } catch (error) {
    return { line, raw, parseError: `invalid JSON: ${(error as Error).message}` }
  }
}

/**
 * Validates a batch line by line. Good events are stored; each bad line goes to
 * dead_letters with its line number and reason. Resolves only after both
 * inserts returned, so an acknowledged batch is in the warehouse.
 */
export class IngestService {
  constructor(private readonly d: IngestDeps) {}

  async ingest(batch: IngestBatch): Promise<IngestResult> {
    const bytes = Buffer.byteLength(batch.body)
    if (bytes > this.d.limits.maxBytes) {
      throw new TooLargeError(`batch is ${bytes} bytes; the limit is ${this.d.limits.maxBytes} bytes (RUNWAY_INGEST_MAX_BYTES)`, { maxBytes: this.d.limits.maxBytes })
    }
    const lines = splitBatch(batch)
    if (lines.length > this.d.limits.maxEvents) {
      throw new TooLargeError(`batch has ${lines.length} events; the limit is ${this.d.limits.maxEvents} events (RUNWAY_INGEST_MAX_EVENTS)`, { maxEvents: this.d.limits.maxEvents })
    }
    const now = this.d.clock.now()
    const token = batch.idempotencyKey
      ? `idem-${createHash('sha256').update(batch.idempotencyKey).digest('hex').slice(0, 32)}`
      : `body-${createHash('sha256').update(batch.body).digest('hex').slice(0, 32)}`
    const batchId = batch.idempotencyKey ? token : `${token}-${randomUUID().slice(0, 8)}`
    const { accepted, rejections, masked, dropped } = await this.store(lines, { source: batch.source, dedupToken: token, batchId, now })
    return {
      batchId,
      accepted,
      rejected: rejections.length,
      errors: rejections.slice(0, MAX_REPORTED_ERRORS),
      masked,
      dropped,
    }
  }

  /**
   * The same validation and storage for lines that arrive already split (a
   * Kafka batch: line = offset). A retry with the same `dedupToken` is stored once.
   */
  async ingestLines(lines: ReadonlyArray<SourceLine>, options: { source: string; dedupToken: string }): Promise<LinesResult> {
    const now = this.d.clock.now()
    const stored = await this.store(lines.map(parseLine), { ...options, batchId: options.dedupToken, now })
    return { batchId: options.dedupToken, ...stored }
  }

  private async store(lines: Line[], o: { source: string; dedupToken: string; batchId: string; now: number }) {
    const { now, batchId, dedupToken: token } = o
    const experiments = new Map((await this.d.state.list()).map((r) => [r.spec.id, r]))
    const good: EventRow[] = []
    const scrubbed = new Map<string, { masked: number; dropped: number }>()
    const bad: Array<IngestRejection & { raw: string; experimentId: string }> = []
    for (const l of lines) {
      const verdict = this.check(l, experiments, now)
      if (typeof verdict === 'string') {
        const experimentId = typeof (l.value as { experimentId?: unknown })?.experimentId === 'string' ? String((l.value as { experimentId: string }).experimentId) : ''
        bad.push({ line: l.line, reason: verdict, raw: l.raw, experimentId })
      } else good.push(this.scrub(toEventRow(verdict, now), experiments.get(verdict.experimentId)!.spec.namespace, scrubbed))
    }
    await this.d.warehouse.insert('events', good, { dedupToken: `${token}-events` })
    const counters = [...scrubbed].filter(([, c]) => c.masked + c.dropped > 0)
    if (counters.length > 0) {
      await this.d.warehouse.insert(
        'ingest_masking',
        counters.map(([experimentId, c]) => ({ received_at: toWarehouseTime(now), source: o.source, batch_id: batchId, experiment_id: experimentId, masked: c.masked, dropped: c.dropped })),
        { dedupToken: `${token}-masking` },
      )
    }
    await this.d.warehouse.insert(
      'dead_letters',
      // `line` is UInt32; a Kafka offset beyond it is kept whole in `position`.
      bad.map((b) => ({ received_at: toWarehouseTime(now), source: o.source, batch_id: batchId, line: b.line <= 0xffff_ffff ? b.line : 0, position: b.line, experiment_id: b.experimentId, raw: b.raw, reason: b.reason })),
      { dedupToken: `${token}-dead` },
    )
    if (bad.length > 0) this.d.log.warn({ batchId, rejected: bad.length, first: bad[0]?.reason }, 'ingest dead-lettered lines')
    this.d.onStored?.(o.source, good.length, bad.length)
    let masked = 0
    let dropped = 0
    for (const c of scrubbed.values()) {
      masked += c.masked
      dropped += c.dropped
    }
    return { accepted: good.length, rejections: bad.map(({ line, reason }) => ({ line, reason })), masked, dropped }
  }

  /** Applies the namespace's data rules to a row's attributes before it is stored, counting per experiment. */
  private scrub(row: EventRow, namespace: string, tally: Map<string, { masked: number; dropped: number }>): EventRow {
    const rules = this.d.dataRules?.(namespace) ?? BUILTIN_RULES.data
    const s = scrubAttributes(row.attributes, rules)
    const c = tally.get(row.experiment_id) ?? { masked: 0, dropped: 0 }
    tally.set(row.experiment_id, { masked: c.masked + s.masked, dropped: c.dropped + s.dropped })
    return { ...row, attributes: s.attributes }
  }

  /** The event if the line is good, else the reason it is not. */
  private check(l: Line, experiments: Map<string, ExperimentRecord>, now: number) {
    if (l.parseError) return `line ${l.line}: ${l.parseError}`
    const parsed = TelemetryEventSchema.safeParse(l.value)
    if (!parsed.success) {
      return `line ${l.line}: ${problemsOf(parsed.error).map((p) => `${p.path}: ${p.message}`).join('; ')}`
    }
    const e = parsed.data
    const record = experiments.get(e.experimentId)
    if (!record) return `line ${l.line}: unknown experiment "${e.experimentId}"`
    if (!record.spec.variants.some((v) => v.name === e.variant)) {
      return `line ${l.line}: experiment "${e.experimentId}" has no variant "${e.variant}" (has ${record.spec.variants.map((v) => v.name).join(', ')})`
    }
    if (eventTimeMs(e.ts) > now + MAX_FUTURE_MS) return `line ${l.line}: ts is more than 24h in the future`
    return e
  }
}
