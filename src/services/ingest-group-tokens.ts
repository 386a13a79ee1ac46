import type { TokenColumn } from '../adapters/warehouse/batch-token.js'
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
