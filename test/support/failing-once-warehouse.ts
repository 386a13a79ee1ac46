import { DependencyError } from '../../src/errors.js'
import type { QueryParams, TableName, Warehouse } from '../../src/ports/warehouse.js'
import { uid } from '../contract/helpers.js'

/** How the failed insert leaves the engine: its rows stored (the answer lost), or only its dedup token recorded. */
export type FailureMode = 'stored' | 'token-only'

/**
 * The real engine with the first non-empty insert into `table` made to fail the way a crash or a
 * lost answer does. 'token-only' is the state a kill between the engine's deduplication-log write
 * and its part commit leaves, made in the engine itself: one row inserted under the token (with
 * `ghost` columns, under a throwaway experiment id), then deleted. Every other call goes through.
 */
export class FailingOnceWarehouse implements Warehouse {
  failures = 0
  /** Rows of the insert that failed. */
  failedRows = 0
  private table: TableName | null

  constructor(
    private readonly real: Warehouse,
    table: TableName,
    private readonly mode: FailureMode,
    private readonly ghost: Record<string, unknown> = {},
  ) {
    this.table = table
  }

  command(sql: string) {
    return this.real.command(sql)
  }
  select<T>(sql: string, params?: QueryParams) {
    return this.real.select<T>(sql, params)
  }
  close() {
    return Promise.resolve()
  }
  async insert(table: TableName, rows: ReadonlyArray<Record<string, unknown>>, options: { dedupToken?: string } = {}) {
    if (table !== this.table || rows.length === 0) return this.real.insert(table, rows, options)
    this.table = null
    this.failures++
    this.failedRows = rows.length
    if (this.mode === 'stored') await this.real.insert(table, rows, options)
    else {
      const experiment = `ghost-${uid()}`
      await this.real.insert(table, [{ ...rows[0], experiment_id: experiment, ...this.ghost }], options)
      await this.real.command(`ALTER TABLE ${table} DELETE WHERE experiment_id = '${experiment}' SETTINGS mutations_sync = 2`)
    }
    throw new DependencyError(`warehouse insert into ${table} failed: injected`)
  }
}
