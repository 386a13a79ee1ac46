import type { TableName, Warehouse } from '../../ports/warehouse.js'
import { sqlQuery } from '../../sql-files.js'
import type { TokenColumn } from './batch-token.js'
import { eventsPresentParams } from './events-present.js'
import type { JournalOptions } from './journal-recovery.js'

/**
 * The events journal (issue 16 item 2, opt-in: RUNWAY_EVENTS_JOURNAL): group commit
 * whose durability point is a shared fdatasync of `<dataDir>/events-journal`, not a
 * part in the engine. An ingest call is answered once its rows are durable there;
 * the engine gets them in one insert per flush (RUNWAY_EVENTS_FLUSH) or before any
 * read. What one batch writes and answers for goes through it together:
 * - events: as their pre-built events_in text (row-text.ts), each batch's token on its
 *   first line (events.batch_token), so a retry is known after a restart too;
 * - dead letters and masking counters: the response counts them, so they are as
 *   durable as the events. Rarely written, so each is inserted alone under its own
 *   token, and the engine knows a retry after a restart as it does without the journal.
 * The idempotency record (ingest_batches) is not journaled: it is written after the
 * batch is durable, and its lookup is a read, which flushes the journal first anyway.
 */
export const EVENTS_JOURNALED_TABLES: ReadonlyArray<TableName> = ['events', 'dead_letters', 'ingest_masking']

export interface EventsJournalSettings {
  /** Where each batch's token is stored with its events, and how the recent ones are read (ingest-group-tokens.ts). */
  token: TokenColumn
  recentTokens: () => Promise<ReadonlyArray<string>>
}

const NUL = '\u0000'

/** The journal's options for ingest's tables; `dir`, flush delay and bound come from the configuration. */
export function eventsJournalOptions(s: EventsJournalSettings): Pick<JournalOptions, 'tables' | 'durable' | 'alone' | 'recovery'> {
  const byBatch = (r: Record<string, unknown>) => String(r.batch_id)
  return {
    tables: EVENTS_JOURNALED_TABLES,
    durable: { events: { at: s.token, recent: s.recentTokens } },
    alone: ['dead_letters', 'ingest_masking'],
    recovery: {
      // A segment's events are read back as their events_in lines (experimentId, eventId, ts in epoch ms).
      events: { query: sqlQuery('events-present'), idOf: eventId, keyOf: (r) => `${experimentId(r)}${NUL}${eventId(r)}`, params: eventParams },
      dead_letters: { query: sqlQuery('journal-present-events-dead-letters'), idOf: byBatch, keyOf: (r) => `${byBatch(r)}${NUL}${String(r.position)}` },
      ingest_masking: { query: sqlQuery('journal-present-events-masking'), idOf: byBatch, keyOf: (r) => `${byBatch(r)}${NUL}${String(r.experiment_id)}` },
    },
  }
}

// A segment's text entries are read back as events_in lines; rows without text (tests' fakes) are events rows.
const experimentId = (r: Record<string, unknown>) => String(r.experimentId ?? r.experiment_id)
const eventId = (r: Record<string, unknown>) => String(r.eventId ?? r.event_id)
const tsMs = (r: Record<string, unknown>) => (typeof r.ts === 'number' ? r.ts : Date.parse(`${String(r.ts).replace(' ', 'T')}Z`))

/** The recovery query's bounds: the segment's experiments, event ids and event-time range. */
const eventParams = (rows: ReadonlyArray<Record<string, unknown>>) => eventsPresentParams(rows.map((r) => ({ experimentId: experimentId(r), eventId: eventId(r), ms: tsMs(r) })))

/** Whether the warehouse journals this table (ingest then needs no coalescer of its own). */
export function journals(warehouse: Warehouse, table: TableName): boolean {
  const w = warehouse as Partial<{ journals: (t: TableName) => boolean }>
  return typeof w.journals === 'function' && w.journals(table)
}
