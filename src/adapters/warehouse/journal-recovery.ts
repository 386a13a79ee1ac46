import type { Warehouse } from '../../ports/warehouse.js'

/**
 * How a journaled table tells which rows of a segment are already stored.
 *
 * Why not the engine's deduplication alone: a MergeTree insert records its block
 * id in the deduplication log and then commits the part; a process killed in
 * between leaves the id recorded and the part gone, and a retry with the same
 * token is then dropped as a duplicate (the engine does drop a retry whose token
 * it has recorded, rows or not: test/integration/journaled-warehouse.test.ts).
 * In one CI run of test/e2e/ledger-crash.test.ts a kill -9 during a flush lost
 * 17 acknowledged enqueues that way while token-only replay was the rule. So a
 * segment whose insert may have been cut short (found on disk at start, or after
 * a failed attempt) is written by key instead.
 */
export interface RecoveryKey {
  /** A SELECT with one parameter, {ids:String} (a JSON array of ids), returning a `key` column for each stored row. */
  query: string
  /** What the query looks rows up by. */
  idOf: (row: Record<string, unknown>) => string
  /** A row's unique key, as the query renders it. */
  keyOf: (row: Record<string, unknown>) => string
}

/** The rows not stored yet, looked up by key (one query per table and segment). */
export async function rowsMissing(engine: Pick<Warehouse, 'select'>, recovery: RecoveryKey, rows: ReadonlyArray<Record<string, unknown>>): Promise<Record<string, unknown>[]> {
  const ids = [...new Set(rows.map(recovery.idOf))]
  const stored = await engine.select<{ key: string }>(recovery.query, { ids: JSON.stringify(ids) })
  const present = new Set(stored.map((r) => r.key))
  return rows.filter((r) => !present.has(recovery.keyOf(r)))
}
