import type { TableRef } from '../../domain/sql-allow-check.js'
import { ANALYTICS_DATABASE, ANALYTICS_VIEWS, classifyTable, clientSettingAllowed, DATABASES, formatAllowed, RUNWAY_DATABASE, RUNWAY_TABLES } from '../../domain/sql-allow-list.js'
import { writerSettingAllowed } from '../../domain/sql-allow-write.js'
import { SqlError } from '../../ports/sql-endpoint.js'

/**
 * Small pure helpers for the raw SQL endpoint: quoting for the few statements
 * Runway writes itself, reading the engine's normalized rendering of a caller's
 * statement, and turning engine error text into a `SqlError`.
 */

/** A ClickHouse string literal. Backslash and quote are the only characters that can end it early. */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

/** A back-quoted identifier (database names arrive from the client). */
export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``
}

/** Setting and parameter names: plain identifiers only, since they are spliced into SET. */
export const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Output format names are single identifiers, e.g. JSONEachRow or TabSeparatedWithNames. */
export const FORMAT_NAME = /^[A-Za-z][A-Za-z0-9_]*$/

export interface StatementShape {
  /** First keyword of the statement (SELECT, INSERT, SHOW, …). */
  kind: string
  /** Output format named by a trailing FORMAT clause; undefined for INSERT, whose FORMAT names the input. */
  format?: string
  /** `INTO OUTFILE` / `FROM INFILE`: clickhouse-local runs these on the host's file system. */
  intoOutfile: boolean
  fromInfile: boolean
}

/**
 * Reads the shape of one statement from `formatQuerySingleLine` output. That
 * text is the engine's own rendering of its AST: comments are gone, keywords
 * are upper case and tokens are separated by single spaces, so once quoted
 * strings and quoted identifiers are blanked out, clause keywords can be read
 * as plain tokens without guessing at the caller's original spelling.
 */
export function statementShape(normalized: string): StatementShape {
  const tokens = blankQuoted(normalized).split(/\s+/).filter((t) => t.length > 0)
  const upper = tokens.map((t) => t.toUpperCase())
  const kind = upper[0] ?? ''
  const follows = (a: string, b: string) => upper.some((t, i) => t === a && upper[i + 1] === b)
  let format: string | undefined
  if (kind !== 'INSERT') {
    // FORMAT is the last clause but SETTINGS: `… FORMAT name` or `… FORMAT name SETTINGS …`.
    for (let i = upper.length - 2; i >= 0; i--) {
      const next = tokens[i + 1]
      if (upper[i] === 'FORMAT' && next !== undefined && FORMAT_NAME.test(next) && (i + 2 === upper.length || upper[i + 2] === 'SETTINGS')) {
        format = next
        break
      }
    }
  }
  return { kind, format, intoOutfile: follows('INTO', 'OUTFILE'), fromInfile: follows('FROM', 'INFILE') }
}

/** Replaces '…', "…" and `…` (with backslash or doubled-quote escapes) by a neutral token. */
function blankQuoted(text: string): string {
  let out = ''
  let i = 0
  while (i < text.length) {
    const c = text[i] as string
    if (c !== "'" && c !== '"' && c !== '`') {
      out += c
      i++
      continue
    }
    i++
    while (i < text.length) {
      const d = text[i]
      if (d === '\\') i += 2
      else if (d === c && text[i + 1] === c) i += 2
      else if (d === c) break
      else i++
    }
    i++
    out += ' _ '
  }
  return out
}

const CODE = /^Code: (\d+)\. /
const DB_PREFIX = /^(?:Code: \d+\. )?DB::Exception: /
const TYPE_SUFFIX = /\s*\(([A-Z][A-Z0-9_]+)\)(?: \(version [^)]*\))?\.?\s*$/

/**
 * Turns an engine message such as
 * `Code: 73. DB::Exception: Code: 73. DB::Exception: Unknown format X. (UNKNOWN_FORMAT) (version 26.7.2.1). (UNKNOWN_FORMAT)`
 * into code 73, type UNKNOWN_FORMAT and message `Unknown format X.`: the
 * engine nests one exception in another, a server prints it once.
 */
export function engineError(message: string, code?: number): SqlError {
  const parsedCode = code ?? Number(CODE.exec(message)?.[1] ?? NaN)
  let text = message.trim()
  let type: string | undefined
  for (let guard = 0; guard < 5; guard++) {
    const before = text
    text = text.replace(DB_PREFIX, '')
    const m = TYPE_SUFFIX.exec(text)
    if (m) {
      type ??= m[1]
      text = text.slice(0, m.index).trimEnd()
    }
    if (text === before) break
  }
  if (!text.endsWith('.')) text += '.'
  if (Number.isFinite(parsedCode)) return new SqlError(parsedCode, type ?? 'UNKNOWN_EXCEPTION', text)
  // No ClickHouse code at all (a binding-level failure): ClickHouse's catch-all for C++ exceptions.
  return new SqlError(1001, 'STD_EXCEPTION', text)
}

/** The operator's limits on every query of the endpoint (RUNWAY_CLICKHOUSE_HTTP_* in src/config.ts). */
export interface EndpointLimits {
  maxExecutionSeconds: number
  maxMemoryBytes: number
  /** Largest result; the whole result is held in memory before it is sent. */
  maxResultBytes: number
  maxThreads: number
}

/** The limits as settings, with their overflow modes pinned to `throw` (a silently cut result would read as complete). */
export function limitSettings(limits: EndpointLimits): string[] {
  const n = (v: number) => String(Math.max(0, Math.floor(v)))
  return [
    `max_execution_time = ${n(limits.maxExecutionSeconds)}`,
    "timeout_overflow_mode = 'throw'",
    `max_memory_usage = ${n(limits.maxMemoryBytes)}`,
    `max_result_bytes = ${n(limits.maxResultBytes)}`,
    "result_overflow_mode = 'throw'",
    `max_threads = ${n(Math.max(1, limits.maxThreads))}`,
    // Nothing spills to the host's temporary directory, and no introspection of the binary.
    'max_bytes_before_external_group_by = 0',
    'max_bytes_before_external_sort = 0',
    'allow_introspection_functions = 0',
  ]
}

/**
 * Row filters for a token that may read only some namespaces: `experiments`
 * by its namespace, every other Runway table by experiment id through
 * `experiments`. The engine applies them to each read of the table, in
 * subqueries and joins too, and `readonly = 1` keeps the query from changing them.
 */
export function namespaceFilters(namespaces: readonly string[]): string {
  const list = namespaces.length === 0 ? "''" : namespaces.map(sqlString).join(', ')
  const byNamespace = `namespace IN (${list})`
  const byExperiment = `experiment_id IN (SELECT id FROM ${RUNWAY_DATABASE}.experiments WHERE namespace IN (${list}))`
  const tables = [
    ...Object.entries(RUNWAY_TABLES).map(([table, key]) => [`${RUNWAY_DATABASE}.${table}`, key] as const),
    ...Object.entries(ANALYTICS_VIEWS).map(([view, key]) => [`${ANALYTICS_DATABASE}.${view}`, key] as const),
  ]
  const entries = tables.map(([table, key]) => {
    const filter = namespaces.length === 0 ? '0' : key === 'namespace' ? byNamespace : byExperiment
    return `${sqlString(table)}: ${sqlString(filter)}`
  })
  return `{${entries.join(', ')}}`
}

/** Client settings (URL parameters) as SET assignments; any name or value off the allow-list is refused. */
export function clientSettings(settings: Record<string, string>, writable = false): string[] {
  const out: string[] = []
  for (const [name, value] of Object.entries(settings)) {
    if (!NAME.test(name)) throw new SqlError(36, 'BAD_ARGUMENTS', `Invalid setting name ${JSON.stringify(name)}`)
    // The gate itself: asking for what is already in force changes nothing.
    if (name === 'readonly' && (value === '1' || value === '0')) continue
    if (!clientSettingAllowed(name, value) && !(writable && writerSettingAllowed(name, value))) {
      throw new SqlError(164, 'READONLY', `Cannot modify '${name}' setting: this endpoint accepts only the output and session settings on its allow-list (docs/clickhouse-http.md); limits are the operator's`)
    }
    out.push(`${name} = ${sqlString(value)}`)
  }
  return out
}

/**
 * Every table the statement names must be on the allow-list in its database.
 * An unqualified name off the list may be a WITH alias: it passes only when no
 * such table exists (then the engine resolves the alias, or says UNKNOWN_TABLE).
 */
export async function checkTables(
  check: { tables: TableRef[]; insertInto: TableRef | null; ddlTargets: TableRef[] },
  currentDatabase: string,
  existing: (names: Array<{ database: string; table: string }>) => Promise<Set<string>>,
  /** The writable endpoint (Runway's processes using this warehouse): every table of Runway's database. */
  writable = false,
): Promise<void> {
  if (!DATABASES.has(currentDatabase)) throw new SqlError(497, 'ACCESS_DENIED', `Database ${currentDatabase} is not readable through this endpoint`)
  const maybeAliases: Array<{ database: string; table: string }> = []
  for (const ref of check.insertInto ? [check.insertInto, ...check.ddlTargets] : check.ddlTargets) {
    const database = ref.database ?? currentDatabase
    // The analyst schema's views (migration 0020) are Runway's too; no other name in that database.
    if (database === ANALYTICS_DATABASE && Object.hasOwn(ANALYTICS_VIEWS, ref.table)) continue
    if (database !== RUNWAY_DATABASE) throw new SqlError(497, 'ACCESS_DENIED', `Only tables of the ${RUNWAY_DATABASE} database and the ${ANALYTICS_DATABASE} views are writable through this endpoint`)
  }
  for (const ref of check.tables) {
    const database = ref.database ?? currentDatabase
    if (!DATABASES.has(database)) throw new SqlError(497, 'ACCESS_DENIED', `Database ${database} is not readable through this endpoint`)
    const cls = writable && database === RUNWAY_DATABASE ? { kind: 'runway' } : classifyTable(database, ref.table)
    if (cls.kind !== 'refused') continue
    if (ref.database === null && ref.mayBeAlias) maybeAliases.push({ database, table: ref.table })
    else throw notReadable(database, ref.table)
  }
  const found = await existing(maybeAliases)
  const hit = maybeAliases.find((n) => found.has(`${n.database}.${n.table}`))
  if (hit) throw notReadable(hit.database, hit.table)
}

function notReadable(database: string, table: string): SqlError {
  return new SqlError(497, 'ACCESS_DENIED', `Table ${database}.${table} is not readable through this endpoint (readable: ${Object.keys(RUNWAY_TABLES).join(', ')}, ${Object.keys(ANALYTICS_VIEWS).map((v) => `${ANALYTICS_DATABASE}.${v}`).join(', ')}, and schema tables in system and information_schema)`)
}

/** The output format (FORMAT clause, else the default), or an INSERT's input format, must be on the allow-list. */
export function checkFormat(shape: StatementShape, normalized: string, defaultFormat: string): void {
  const insertFormat = shape.kind === 'INSERT' ? /\bFORMAT ([A-Za-z][A-Za-z0-9_]*)$/.exec(normalized.trim())?.[1] : undefined
  for (const format of [shape.format ?? defaultFormat, insertFormat]) {
    if (format !== undefined && !formatAllowed(format)) {
      throw new SqlError(497, 'ACCESS_DENIED', `Format ${format} is not allowed on this endpoint (formats that read schema or template files are not)`)
    }
  }
}
