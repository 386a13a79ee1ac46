/** Tables Runway writes; names come from this list, never from input. */
export type TableName = 'events' | 'interference' | 'dead_letters' | 'verdicts' | 'lifecycle' | 'experiments' | 'runway_migrations' | 'ledger_heads' | 'api_tokens' | 'ingest_masking' | 'ingest_batches' | 'notify_outbox' | 'notify_deliveries' | 'incidents'

export type QueryParams = Record<string, string | number | boolean | null>

/** The analytical store: ClickHouse SQL, embedded (chDB) or a server. */
export interface Warehouse {
  /** Runs one statement that returns no rows (DDL). */
  command(sql: string): Promise<void>
  /** Runs one SELECT with server-side bound `{name:Type}` parameters. */
  select<T = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<T[]>
  /**
   * Inserts rows as one block. A retried call with the same `dedupToken` is
   * stored once, in the table and in the materialized views fed by it. Behind
   * the ledger journal (adapters/warehouse/journaled-warehouse.ts) an insert into
   * a journaled table resolves once durable in the journal; the engine's own
   * errors for those rows surface on the next flush or read.
   */
  insert(table: TableName, rows: ReadonlyArray<Record<string, unknown>>, options?: { dedupToken?: string }): Promise<void>
  close(): Promise<void>
}
