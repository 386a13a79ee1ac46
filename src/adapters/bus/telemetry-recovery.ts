import { eventTimeMs } from '../../domain/telemetry.js'
import type { Warehouse } from '../../ports/warehouse.js'
import { eventsPresentParams } from '../warehouse/events-present.js'
import type { SourceLine } from '../../services/ingest.js'
import { sqlQuery } from '../../sql-files.js'

/**
 * How the Kafka telemetry consumer tells which messages of a range are already stored.
 *
 * Why not the range's dedup token alone: a MergeTree insert records its block id
 * (the token) in the deduplication log and then commits the part; a consumer killed
 * in between leaves the token recorded and the rows absent, and a replay under that
 * token is dropped as a duplicate: the range is lost (the ledger journal met the same
 * engine behaviour, see adapters/warehouse/journal-recovery.ts). So a range whose
 * insert may have been cut short is written by what is missing: events looked up by
 * (experiment, event id), refused messages by their offset in dead_letters, and only
 * the rest is ingested, under a token of that attempt.
 */

/** Where a range sits in Kafka: its dead letters are named `<topic>/<partition>/...`. */
export interface KafkaRange {
  topic: string
  partition: number
  from: bigint
  to: bigint
}

export interface StoredDeadLetter {
  line: number
  reason: string
  raw: string
}

export interface RangeOnRecord {
  /** The lines of the range neither dead-lettered nor carrying a stored event's id, in their order. */
  missing: SourceLine[]
  /** Lines not dead-lettered whose (experiment, event id) is already in `events`. */
  storedEvents: number
  /**
   * Every line not dead-lettered yet, in order: what is ingested, with `isStored` as the
   * ingest's `alreadyStored`. The lines counted in `storedEvents` are among them because
   * an id alone does not make a line good: a refused line may carry a stored event's id
   * (a bad resend), and it must still be dead-lettered.
   */
  toIngest: SourceLine[]
  isStored: (experimentId: string, eventId: string) => boolean
  /** Lines already in dead_letters (by offset), with the reason stored then. */
  deadLettered: StoredDeadLetter[]
}

interface Identity {
  key: string
  experimentId: string
  eventId: string
  ms: number
}

const keyOf = (experimentId: string, eventId: string) => `${experimentId}\u0000${eventId}`

/** The event's identity if the line could have been stored as an event; null if it could not (it can only be a dead letter). */
export function identityOf(raw: string): Identity | null {
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    return null
  }
  if (typeof value !== 'object' || value === null) return null
  const { experimentId, eventId, ts } = value as Record<string, unknown>
  if (typeof experimentId !== 'string' || typeof eventId !== 'string') return null
  // The same function ingest stores `ts` with (toEventRow), so the bounds match what is stored.
  const ms = typeof ts === 'number' || typeof ts === 'string' ? eventTimeMs(ts) : Number.NaN
  if (!Number.isFinite(ms)) return null
  return { key: keyOf(experimentId, eventId), experimentId, eventId, ms }
}

/** Splits a range's lines into what is stored already and what is missing (two bounded queries). */
export async function rangeOnRecord(engine: Pick<Warehouse, 'select'>, range: KafkaRange, lines: ReadonlyArray<SourceLine>): Promise<RangeOnRecord> {
  const ids = lines.map((l) => identityOf(l.raw))
  const candidates = ids.filter((x): x is Identity => x !== null)
  const present = new Set<string>()
  if (candidates.length > 0) {
    const rows = await engine.select<{ experiment_id: string; event_id: string }>(sqlQuery('events-present'), eventsPresentParams(candidates))
    for (const r of rows) present.add(keyOf(r.experiment_id, r.event_id))
  }
  const dead = await engine.select<{ at: string; reason: string; raw: string }>(sqlQuery('events-present-dead-letters'), {
    batchPrefix: `${range.topic}/${range.partition}/`,
    from: range.from.toString(),
    to: range.to.toString(),
  })
  const deadAt = new Map(dead.map((d) => [d.at, d]))
  const missing: SourceLine[] = []
  const toIngest: SourceLine[] = []
  const deadLettered: StoredDeadLetter[] = []
  let storedEvents = 0
  lines.forEach((l, i) => {
    const id = ids[i]
    // The offset first: it names this very message, where an event id may be shared by another one.
    const d = deadAt.get(String(l.line))
    if (d) {
      deadLettered.push({ line: l.line, reason: d.reason, raw: d.raw })
      return
    }
    toIngest.push(l)
    if (id && present.has(id.key)) storedEvents++
    else missing.push(l)
  })
  return { missing, storedEvents, toIngest, isStored: (experimentId, eventId) => present.has(keyOf(experimentId, eventId)), deadLettered }
}
