import { sqlQuery } from '../../sql-files.js'

/** A query behind a number the UI shows: the file, its parameters, and the SQL with them inlined (runnable as is against /clickhouse). */
export interface ShownSql {
  name: string
  params: Record<string, unknown>
  sql: string
}

const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`

function literal(value: unknown): string {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'NULL'
  if (typeof value === 'boolean') return value ? '1' : '0'
  if (Array.isArray(value)) return `[${value.map(literal).join(', ')}]`
  if (value === null || value === undefined) return 'NULL'
  return quote(String(value))
}

/**
 * The SQL file with its `{name:Type}` parameters replaced by literals, so a person can
 * paste it into clickhouse-client or DBeaver. The server itself always binds them.
 */
export function inlineSql(sql: string, params: Record<string, unknown>): string {
  return sql.replace(/\{(\w+):([^}]+)\}/g, (whole, name: string) => (Object.hasOwn(params, name) ? literal(params[name]) : whole))
}

export function shownSql(name: string, params: Record<string, unknown> = {}): ShownSql {
  return { name: `sql/queries/${name}.sql`, params, sql: inlineSql(sqlQuery(name), params) }
}
