import type { TokenColumn } from '../adapters/warehouse/batch-token.js'
import { eventsPresentParams } from '../adapters/warehouse/events-present.js'
import type { Warehouse } from '../ports/warehouse.js'
import { sqlQuery } from '../sql-files.js'

/** Where a batch's own token is stored with its events (sql/migrations/0026_events_batch_token.sql). */
export const EVENTS_BATCH_TOKEN: TokenColumn = { column: 'batch_token', inputKey: 'g' }

/** As many as the coalescer remembers in memory: a restart forgets nothing it would have kept. */
const RECENT = 100_000
/** Older tokens are not read: a client retries within minutes, and the engine's own window for a lone batch is 10,000 inserts. */
const LOOKBACK_MS = 24 * 3_600_000

/** The batch tokens stored in the last day, newest first (at most 100,000). */
export async function recentBatchTokens(warehouse: Warehouse, now: number): Promise<string[]> {
  const rows = await warehouse.select<{ token: string }>(sqlQuery('ingest-batch-tokens-recent'), { since: now - LOOKBACK_MS, limit: RECENT })
  return rows.map((r) => r.token)
}

/** The event rows not in `events` yet, by (experiment, event id): a retry whose combined insert may have landed. */
export async function eventsMissing(warehouse: Warehouse, rows: ReadonlyArray<Record<string, unknown>>): Promise<ReadonlyArray<Record<string, unknown>>> {
  const key = (r: Record<string, unknown>) => `${String(r.experiment_id)}\u0000${String(r.event_id)}`
  const identities = rows.map((r) => ({ experimentId: String(r.experiment_id), eventId: String(r.event_id), ms: Date.parse(`${String(r.ts).replace(' ', 'T')}Z`) }))
  const present = await warehouse.select<{ experiment_id: string; event_id: string }>(sqlQuery('events-present'), eventsPresentParams(identities))
  const stored = new Set(present.map(key))
  return rows.filter((r) => !stored.has(key(r)))
}
