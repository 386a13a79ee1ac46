import type { Warehouse } from '../ports/warehouse.js'
import { sqlQuery } from '../sql-files.js'

/** A ClickHouse string literal: backslash, quote and control characters escaped. */
function stringLiteral(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}'`
}

/** Binds `{name:Int64}` / `{name:String}` of a command (commands take no server-side parameters). */
export function bindCommand(sql: string, params: Record<string, number | string>): string {
  return sql.replace(/\{(\w+):(Int64|String)\}/g, (whole, name: string, type: string) => {
    const v = params[name]
    if (type === 'Int64' && typeof v === 'number' && Number.isSafeInteger(v)) return String(v)
    if (type === 'String' && typeof v === 'string') return stringLiteral(v)
    throw new Error(`command parameter ${whole} is missing or not a ${type}`)
  })
}

/**
 * Trims the outbox: events older than the retention that every current sink has delivered
 * (or skipped) go, with their delivery records. Undelivered events stay however old (the
 * guarantee is at least once), and so do the newest event of each experiment and the newest
 * alert event per rule, which the ledger recovery and the open-alert rebuild read.
 */
export async function trimOutbox(warehouse: Warehouse, sinks: readonly string[], cutoffMs: number): Promise<void> {
  if (sinks.length === 0) return
  const cutoff = Math.floor(cutoffMs)
  await warehouse.command(bindCommand(sqlQuery('outbox-trim'), { cutoff, sinks: sinks.join('\n') }))
  await warehouse.command(bindCommand(sqlQuery('outbox-trim-deliveries'), { cutoff }))
}
