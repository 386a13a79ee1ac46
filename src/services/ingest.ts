import { createHash, randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type { ExperimentRecord } from '../domain/experiment-record.js'
import { wellFormed } from '../domain/json-limits.js'
import type { AttributeRules } from '../domain/pii.js'
import { BUILTIN_RULES } from '../domain/policy-config.js'
import { type EventRow, TelemetryEventSchema, eventTimeMs, toEventRow, toWarehouseTime } from '../domain/telemetry.js'
import { fastEvent } from '../domain/telemetry-fast.js'
import { rowInputLine } from '../domain/telemetry-scan.js'
import { problemsOf } from '../domain/validation.js'
import { TooLargeError } from '../errors.js'
import type { Clock } from '../ports/clock.js'
import type { StateStore } from '../ports/state-store.js'
import type { Warehouse } from '../ports/warehouse.js'
import { journals } from '../adapters/warehouse/events-journal.js'
import { InsertCoalescer } from '../adapters/warehouse/insert-coalescer.js'
import { withRowText } from '../adapters/warehouse/row-text.js'
import { EVENTS_BATCH_TOKEN, eventsMissing, recentBatchTokens } from './ingest-group-tokens.js'
import { IdempotencyKeys } from './ingest-idempotency.js'
import { type Scrubber, memo, scrub } from './ingest-scrub.js'
import { DEFAULT_LINE_LIMITS, type Line, type LineLimits, type SourceLine, jsonBodyLines, ndjsonLines, parseLine } from './ingest-lines.js'

export interface IngestDeps {
  warehouse: Warehouse
  state: StateStore
  clock: Clock
  log: Logger
  /** Batch limits, and per-line ones (defaults: DEFAULT_LINE_LIMITS); `groupCommitRows` is RUNWAY_INGEST_GROUP_COMMIT_ROWS (config.ingest). */
  limits: { maxBytes: number; maxEvents: number; groupCommitRows?: number } & Partial<LineLimits>
  /** Data rules by namespace (allow-list, PII fields); default: detectors on, nothing dropped. */
  dataRules?: (namespace: string) => AttributeRules
  /** Told how many lines of each stored batch were accepted and dead-lettered (metrics). */
  onStored?: (source: string, accepted: number, deadLettered: number) => void
  /** Group commit: concurrent batches' inserts combined into one per table, up to this many rows (0: each batch alone). Default: limits.groupCommitRows, else 0. */
  coalesceRows?: number
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
  /** Client-chosen key: a retry with the same key and body is stored once; another body under it is refused (409). */
  idempotencyKey?: string
  /** Why the caller may not send telemetry to a namespace, or null when it may (unset: it may everywhere). */
  refuseNamespace?: NamespaceCheck
}

/** Why the sender may not write telemetry into `namespace`, or null when it may. */
export type NamespaceCheck = (namespace: string) => string | null

export type { SourceLine } from './ingest-lines.js'

export interface LinesResult {
  batchId: string
  accepted: number
  /** Every rejection, in input order (a stream consumer routes each one). */
  rejections: IngestRejection[]
  masked: number
  dropped: number
  /** Good events skipped because `alreadyStored` said so (a recovered range). */
  alreadyStored: number
}

/** Whether the event (experiment, event id) is stored already: a line that validates as it is not stored again. */
export type StoredCheck = (experimentId: string, eventId: string) => boolean

const MAX_REPORTED_ERRORS = 20
/** Events further ahead of the clock than this are refused as clock errors. */
const MAX_FUTURE_MS = 24 * 3_600_000

/**
 * Validates a batch line by line. Good events are stored; each bad line goes to
 * dead_letters with its line number and reason. Resolves only after the
 * inserts returned: the batch is in the warehouse, or durable in the events journal when it is on.
 */
export class IngestService {
  private readonly lineLimits: LineLimits
  private readonly keys: IdempotencyKeys
  /** Where batches are stored: the warehouse, behind the group-commit coalescer unless it is off. */
  private readonly sink: Warehouse
  readonly coalescer: InsertCoalescer | null

  constructor(private readonly d: IngestDeps) {
    // Events only: each batch's token is stored with its events (events.batch_token) and read back after a restart,
    // so a retry is stored once as it is alone; masking counters and dead letters go alone (bench/README-group-commit.md).
    // With the events journal (RUNWAY_EVENTS_JOURNAL) the journal groups batches itself (events-journal.ts).
    const rows = journals(d.warehouse, 'events') ? 0 : (d.coalesceRows ?? d.limits.groupCommitRows ?? 0)
    const durable = { events: { at: EVENTS_BATCH_TOKEN, recent: () => recentBatchTokens(d.warehouse, d.clock.now()) } }
    this.coalescer = rows > 0 ? new InsertCoalescer(d.warehouse, { tables: ['events'], maxRows: rows, missing: { events: (r) => eventsMissing(d.warehouse, r) }, durable }) : null
    this.sink = this.coalescer ?? d.warehouse
    this.lineLimits = {
      maxDepth: d.limits.maxDepth ?? DEFAULT_LINE_LIMITS.maxDepth,
      maxLineBytes: d.limits.maxLineBytes ?? DEFAULT_LINE_LIMITS.maxLineBytes,
    }
    this.keys = new IdempotencyKeys(d.warehouse)
  }

  async ingest(batch: IngestBatch): Promise<IngestResult> {
    const bytes = Buffer.byteLength(batch.body)
    if (bytes > this.d.limits.maxBytes) {
      throw new TooLargeError(`batch is ${bytes} bytes; the limit is ${this.d.limits.maxBytes} bytes (RUNWAY_INGEST_MAX_BYTES)`, { maxBytes: this.d.limits.maxBytes })
    }
    const now = this.d.clock.now()
    const prepare = async (): Promise<PreparedLines> => {
      const limits = this.lineLimits
      const o = { now, refuseNamespace: batch.refuseNamespace }
      // NDJSON lines are parsed one by one as they are checked (ndjsonLines says why); a JSON body is parsed whole.
      if (batch.format === 'json') return this.prepare(this.counted(jsonBodyLines(batch.body, limits)), asIs, o)
      return this.prepare(this.counted(ndjsonLines(batch.body)), (l) => parseLine(l, limits), o)
    }
    const write = async (prepared: PreparedLines, ids: { batchId: string; dedupToken: string }): Promise<IngestResult> => {
      const { accepted, rejections, masked, dropped } = await this.write(prepared, { source: batch.source, now, ...ids })
      return { batchId: ids.batchId, accepted, rejected: rejections.length, errors: rejections.slice(0, MAX_REPORTED_ERRORS), masked, dropped }
    }
    // A keyed batch is validated while its key is looked up (ingest-idempotency.ts); it is stored only if the key is new.
    if (batch.idempotencyKey !== undefined) return this.keys.once(batch.idempotencyKey, batch.body, now, prepare, write)
    const token = `body-${createHash('sha256').update(batch.body).digest('hex').slice(0, 32)}`
    return write(await prepare(), { batchId: `${token}-${randomUUID().slice(0, 8)}`, dedupToken: token })
  }

  /**
   * The same validation and storage for lines that arrive already split (a
   * Kafka batch: line = offset). A retry with the same `dedupToken` is stored once.
   */
  async ingestLines(lines: ReadonlyArray<SourceLine>, options: { source: string; dedupToken: string; refuseNamespace?: NamespaceCheck; alreadyStored?: StoredCheck; prepared?: PreparedLines }): Promise<LinesResult> {
    // `prepared`: these lines, validated earlier by prepareLines with the same options (a consumer's pipelining).
    const prepared = options.prepared ?? (await this.prepareLines(lines, options))
    const stored = await this.write(prepared, { source: options.source, now: prepared.now, batchId: options.dedupToken, dedupToken: options.dedupToken })
    return { batchId: options.dedupToken, ...stored }
  }

  /**
   * ingestLines' validation alone, for its `prepared`: no side effect, so a consumer can validate its
   * next chunk while the one before is being inserted (kafka-telemetry-consumer.ts). The receive time is taken here.
   */
  async prepareLines(lines: ReadonlyArray<SourceLine>, options: { refuseNamespace?: NamespaceCheck; alreadyStored?: StoredCheck }): Promise<PreparedLines> {
    const limits = this.lineLimits
    return this.prepare(lines, (l) => parseLine(l, limits), { now: this.d.clock.now(), refuseNamespace: options.refuseNamespace, alreadyStored: options.alreadyStored })
  }

  /** Validates, masks and writes the rows' text: everything but the inserts (no side effect, so a keyed batch can do it while its key is looked up). */
  private async prepare<T>(lines: ReadonlyArray<T>, read: (l: T) => Line, o: { now: number; refuseNamespace?: NamespaceCheck | undefined; alreadyStored?: StoredCheck | undefined }): Promise<PreparedLines> {
    const { now } = o
    // The stored records as they are (frozen, read only here) where the store can give them: list() clones
    // every record, once per batch, which grows with the number of experiments rather than with the batch.
    const records = this.d.state.snapshot ? await this.d.state.snapshot() : await this.d.state.list()
    const experiments = new Map(records.map((r) => [r.spec.id, r]))
    // A batch's lines mostly name one experiment: comparing with the last id is cheaper than hashing each line's new string.
    let lastId: string | null = null
    let lastRecord: ExperimentRecord | undefined
    const recordOf = (id: string) => {
      if (id !== lastId) {
        lastId = id
        lastRecord = experiments.get(id)
      }
      return lastRecord
    }
    const refused = o.refuseNamespace ? memo(o.refuseNamespace) : null
    const good: EventRow[] = []
    // The rows as events_in lines (sql/migrations/0023_events_in.sql): a verbatim line as it came, any other from its row.
    let ndjson = ''
    const scrubbed = new Map<string, { masked: number; dropped: number }>()
    const rules = new Map<string, Scrubber>()
    const bad: Array<IngestRejection & { raw: string; experimentId: string }> = []
    const receivedAt = toWarehouseTime(now)
    // What verbatimInputLine puts in front of a verbatim line, written once per batch.
    const head = `{"r":${now},`
    let skipped = 0
    for (const source of lines) {
      // Read here, not all before the loop: a line's parse objects then die young (a scavenge copies what
      // is still alive, and a whole batch's Lines, events and captures alive made GC half the JS of an ingest).
      const l = read(source)
      const verdict = this.check(l, recordOf, now, refused)
      if (typeof verdict === 'string') {
        const source = l.scanned?.event ?? l.value
        const experimentId = typeof (source as { experimentId?: unknown })?.experimentId === 'string' ? String((source as { experimentId: string }).experimentId) : ''
        // What the engine cannot store (a lone surrogate) becomes U+FFFD: the dead letter itself must not fail.
        bad.push({ line: l.line, reason: wellFormed(verdict), raw: wellFormed(l.raw), experimentId: wellFormed(experimentId) })
      } else if (o.alreadyStored?.(verdict.experimentId, verdict.eventId)) {
        // Checked after validation: a refused line that shares a stored event's id is still dead-lettered.
        skipped++
      } else {
        const namespace = recordOf(verdict.experimentId)!.spec.namespace
        let scrubber = rules.get(namespace)
        if (scrubber === undefined) rules.set(namespace, (scrubber = this.scrubber(namespace)))
        const row = toEventRow(verdict, now, receivedAt)
        const kept = scrub(row, scrubber, scrubbed)
        good.push(row)
        // verbatimInputLine(l.raw, open, now), with its head written once per batch.
        if (kept && l.scanned?.verbatim) ndjson += `${head}${l.raw.slice(l.scanned.open + 1)}\n`
        else ndjson += `${rowInputLine(row, eventTimeMs(verdict.ts), now)}\n`
      }
    }
    return { now, good, ndjson, scrubbed, bad, skipped }
  }

  /** The inserts of a prepared batch; resolves once all of them returned (the batch is then acknowledged). */
  private async write(p: PreparedLines, o: { source: string; dedupToken: string; batchId: string; now: number }) {
    const { now, batchId, dedupToken: token } = o
    const { good, ndjson, scrubbed, bad, skipped } = p
    // One insert: the events and their per-unit aggregates (a projection of the same part) commit together.
    await this.sink.insert('events', withRowText(good, { into: 'events_in', ndjson }), { dedupToken: `${token}-events` })
    const counters = [...scrubbed].filter(([, c]) => c.masked + c.dropped > 0)
    if (counters.length > 0) {
      await this.sink.insert(
        'ingest_masking',
        counters.map(([experimentId, c]) => ({ received_at: toWarehouseTime(now), source: o.source, batch_id: batchId, experiment_id: experimentId, masked: c.masked, dropped: c.dropped })),
        { dedupToken: `${token}-masking` },
      )
    }
    await this.sink.insert(
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
    return { accepted: good.length, rejections: bad.map(({ line, reason }) => ({ line, reason })), masked, dropped, alreadyStored: skipped }
  }

  /** The batch's lines, if there are not more than RUNWAY_INGEST_MAX_EVENTS. */
  private counted<T>(lines: T[]): T[] {
    if (lines.length > this.d.limits.maxEvents) {
      throw new TooLargeError(`batch has ${lines.length} events; the limit is ${this.d.limits.maxEvents} events (RUNWAY_INGEST_MAX_EVENTS)`, { maxEvents: this.d.limits.maxEvents })
    }
    return lines
  }

  /** The namespace's data rules, looked up once per batch, with what tells that they leave an attribute alone. */
  private scrubber(namespace: string): Scrubber {
    const rules = this.d.dataRules?.(namespace) ?? BUILTIN_RULES.data
    return { rules, fields: new Set(rules.piiFields.map((f) => f.toLowerCase())) }
  }

  /** The event if the line is good, else the reason it is not. */
  private check(l: Line, recordOf: (id: string) => ExperimentRecord | undefined, now: number, refused: NamespaceCheck | null) {
    if (l.parseError) return `line ${l.line}: ${l.parseError}`
    // The usual event skips zod (same answer, proven by test/unit/domain/telemetry-fast.test.ts and
    // telemetry-scan.test.ts): scanned from its text, or checked on its parsed value; the rest, and every reason, is zod's.
    let e = l.scanned?.event ?? fastEvent(l.value)
    if (e === null) {
      const parsed = TelemetryEventSchema.safeParse(l.value)
      if (!parsed.success) {
        return `line ${l.line}: ${problemsOf(parsed.error).map((p) => `${p.path}: ${p.message}`).join('; ')}`
      }
      e = parsed.data
    }
    const record = recordOf(e.experimentId)
    if (!record) return `line ${l.line}: unknown experiment "${e.experimentId}"`
    // Before anything about the experiment itself: a sender outside its namespace learns nothing more.
    const forbidden = refused?.(record.spec.namespace)
    if (forbidden) return `line ${l.line}: forbidden: ${forbidden}`
    if (!hasVariant(record, e.variant)) {
      return `line ${l.line}: experiment "${e.experimentId}" has no variant "${e.variant}" (has ${record.spec.variants.map((v) => v.name).join(', ')})`
    }
    if (eventTimeMs(e.ts) > now + MAX_FUTURE_MS) return `line ${l.line}: ts is more than 24h in the future`
    return e
  }
}

const asIs = (l: Line) => l

/** Whether the experiment has the variant (a loop: no closure per line). */
function hasVariant(record: ExperimentRecord, variant: string): boolean {
  for (const v of record.spec.variants) if (v.name === variant) return true
  return false
}

/** A validated batch, not stored yet (prepareLines' answer, handed to ingestLines as `prepared`). */
export interface PreparedLines {
  /** When it was received (its rows' received_at). */
  now: number
  good: EventRow[]
  /** The good rows as events_in lines. */
  ndjson: string
  scrubbed: Map<string, { masked: number; dropped: number }>
  bad: Array<IngestRejection & { raw: string; experimentId: string }>
  /** Good events skipped as already stored. */
  skipped: number
}
