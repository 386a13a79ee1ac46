import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { Session, type ChdbResult } from 'chdb'
import { checkStatement } from '../../domain/sql-allow-check.js'
import { type FunctionCatalog, functionCatalog } from '../../domain/sql-allow-functions.js'
import { type RawSql, type RawSqlOptions, type RawSqlParams, type RawSqlResult, SqlError, sqlError } from '../../ports/sql-endpoint.js'
import { checkFormat, checkTables, clientSettings, engineError, FORMAT_NAME, limitSettings, NAME, namespaceFilters, quoteIdentifier, sqlString, statementShape, type EndpointLimits } from './clickhouse-sql-text.js'

export interface ChdbRawSqlOptions {
  /** The embedded warehouse's data directory: the SAME path `embeddedWarehouse` opened. */
  path: string
  /** Queries running at once, so Runway's own work keeps threads; more wait for a slot. */
  maxConcurrent?: number
  /**
   * How long a query waits for a slot before it is refused with
   * TOO_MANY_SIMULTANEOUS_QUERIES (like ClickHouse's queue_max_wait_ms). Default 10 s:
   * writers such as a worker's inserts queue briefly instead of failing.
   */
  queueMaxWaitMs?: number
  /** Limits on every query (time, memory, result size, threads); the client cannot change them. Defaults in DEFAULT_LIMITS. */
  limits?: Partial<EndpointLimits>
  /** Further settings the operator imposes on every query; the client cannot override them. */
  enforcedSettings?: Record<string, string | number>
  /** Runs before every query: the warehouse writes what it has journaled, so callers read their writes. */
  beforeQuery?: () => Promise<void>
}

const DEFAULT_MAX_QUERY_SIZE = 262_144

/**
 * Raw SQL over chDB, on the data directory the warehouse already holds. chDB
 * binds one directory per process but lets several Sessions share it, each
 * with its own settings, current database and `param_*` values; so every
 * request gets a fresh Session (about 4 ms) and nothing a caller sets can leak
 * into another request or into Runway's own warehouse session. Parameters are
 * set with `SET param_x = '…'` on that Session rather than chDB's bound-query
 * call, because chDB serializes every bound query in the process on one chain:
 * a slow analyst query would otherwise stall Runway's evaluations.
 *
 * Every statement passes allow-lists before it runs, none of them a pattern
 * over raw text (design.md: chDB's readonly = 1 still lets the scalar file()
 * and file-naming format settings through, so the confinement is ours): the
 * engine renders it (one statement only; INTO OUTFILE / FROM INFILE refused),
 * then parses it with `EXPLAIN AST` after the query parameters are set, and
 * every function, table function, table, database, format and client setting
 * it names must be on the lists in domain/sql-allow-functions.ts and sql-allow-list.ts. It then runs
 * under `readonly = 1` (reads), the operator's limits, and for a token limited
 * to some namespaces, row filters (`additional_table_filters`) on Runway's tables.
 * A caller that goes away gets its query killed.
 */
export class ChdbRawSql implements RawSql {
  private readonly running = new Set<Promise<unknown>>()
  /** Queries waiting for a slot, first come first served. */
  private readonly waiting: Array<() => void> = []
  /** Slots taken (running, or handed to a woken waiter that has not started yet). */
  private active = 0
  private closed = false
  private info?: Promise<{ version: string; timezone: string }>
  private catalog?: Promise<FunctionCatalog>

  constructor(private readonly options: ChdbRawSqlOptions) {
    mkdirSync(options.path, { recursive: true })
  }

  async run(sql: string, params: RawSqlParams, options: RawSqlOptions): Promise<RawSqlResult> {
    if (this.closed) throw sqlError('ABORTED', 'Server is shutting down')
    await this.slot()
    try {
      if (this.closed) throw sqlError('ABORTED', 'Server is shutting down')
      await this.options.beforeQuery?.()
      const p = this.execute(sql, params, options)
      this.running.add(p)
      try {
        return await p
      } finally {
        this.running.delete(p)
      }
    } finally {
      // Hand the slot straight to the next waiter, so no newcomer can slip in between.
      const next = this.waiting.shift()
      if (next) next()
      else this.active--
    }
  }

  /** Resolves when fewer than maxConcurrent queries run; refuses after queueMaxWaitMs. */
  private async slot(): Promise<void> {
    const max = this.options.maxConcurrent ?? 2
    if (this.active < max && this.waiting.length === 0) {
      this.active++
      return
    }
    const waitMs = this.options.queueMaxWaitMs ?? 10_000
    await new Promise<void>((resolve, reject) => {
      const wake = () => {
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(wake), 1)
        reject(sqlError('TOO_MANY_SIMULTANEOUS_QUERIES', `Too many simultaneous queries. Maximum: ${max} (waited ${waitMs} ms for a slot)`))
      }, waitMs)
      this.waiting.push(wake)
    })
  }

  async serverInfo(): Promise<{ version: string; timezone: string }> {
    this.info ??= this.withSession(async (s) => {
      const row = (await query(s, 'SELECT version() AS v, timezone() AS tz', 'JSONEachRow')).json<{ v: string; tz: string }>()
      return { version: row.v, timezone: row.tz }
    }).catch((error: unknown) => {
      this.info = undefined
      throw error
    })
    return this.info
  }

  async close(): Promise<void> {
    this.closed = true
    // A Session closed under a running query aborts the whole engine: let them finish first.
    await Promise.allSettled([...this.running])
  }

  private async execute(sql: string, params: RawSqlParams, options: RawSqlOptions): Promise<RawSqlResult> {
    if (sql.trim() === '') throw sqlError('SYNTAX_ERROR', 'Empty query')
    if (options.signal?.aborted) throw sqlError('QUERY_WAS_CANCELLED', 'Query was cancelled: the client went away')
    const defaultFormat = options.defaultFormat ?? 'TabSeparated'
    if (!FORMAT_NAME.test(defaultFormat)) throw sqlError('BAD_ARGUMENTS', `Invalid format name ${JSON.stringify(defaultFormat)}`)
    const paramSets = paramAssignments(params)
    const settings = clientSettings(options.settings ?? {}, !options.readonly)
    const database = options.database || 'default'
    const { timezone: serverTimezone } = await this.serverInfo()
    const catalog = await this.functions()
    return this.withSession(async (s) => {
      // The check parses the whole text, which may be larger than the default max_query_size (an INSERT's data).
      await query(s, `SET max_query_size = ${Math.max(DEFAULT_MAX_QUERY_SIZE, 2 * Buffer.byteLength(sql) + 1024)}`)
      const normalized = await normalize(s, sql)
      const shape = statementShape(normalized)
      if (shape.intoOutfile) throw sqlError('INTO_OUTFILE_NOT_ALLOWED', 'INTO OUTFILE is not allowed')
      if (shape.fromInfile) throw sqlError('NOT_IMPLEMENTED', 'FROM INFILE is not supported over HTTP; send the data in the request body')
      // Parameters first: `{t:Identifier}` is substituted before the parse the check reads.
      if (paramSets.length > 0) await query(s, `SET ${paramSets.join(', ')}`)
      const ast = (await query(s, `EXPLAIN AST ${sql}`, 'TabSeparatedRaw')).text()
      const check = checkStatement({ ast, normalized, kind: shape.kind, catalog, writable: !options.readonly })
      if (!check.ok) throw sqlError(check.code, check.message)
      await checkTables(check, database, (names) => existingTables(s, names), !options.readonly)
      checkFormat(shape, normalized, defaultFormat)
      if (database !== 'default') await query(s, `USE ${quoteIdentifier(database)}`)
      const enforced = [
        ...limitSettings({ ...DEFAULT_LIMITS, ...this.options.limits }),
        ...Object.entries(this.options.enforcedSettings ?? {}).map(([name, value]) => {
          if (!NAME.test(name)) throw new Error(`invalid enforced setting name ${JSON.stringify(name)}`)
          return `${name} = ${sqlString(String(value))}`
        }),
        ...(options.namespaces ? [`additional_table_filters = ${namespaceFilters(options.namespaces)}`] : []),
      ]
      // The gate last: after readonly = 1 nothing in the query can change a setting.
      await query(s, `SET ${[...settings, 'max_query_size = DEFAULT', ...enforced, ...(options.readonly ? ['readonly = 1'] : [])].join(', ')}`)
      const started = process.hrtime.bigint()
      const result = await this.cancellable(s, sql, defaultFormat, options.signal)
      const elapsedNs = Number(process.hrtime.bigint() - started)
      const body = Buffer.from(result.bytes())
      const isInsert = shape.kind === 'INSERT'
      return {
        body,
        format: shape.format ?? defaultFormat,
        timezone: options.settings?.session_timezone || serverTimezone,
        summary: {
          // chDB reports the rows and bytes of the result, not what the scan read; unknown counts stay 0.
          readRows: 0,
          readBytes: 0,
          writtenRows: 0,
          writtenBytes: 0,
          resultRows: isInsert ? 0 : result.rowsRead,
          resultBytes: isInsert ? 0 : result.bytesRead,
          elapsedNs: Math.max(elapsedNs, Math.round(result.elapsed * 1e9)),
        },
      }
    })
  }

  /**
   * chDB cannot interrupt a running query from its own call, so the query text
   * carries a random marker and, when the caller aborts, another Session kills
   * it by that marker (system.processes shows the text as sent). The caller may
   * go away during the checks before it (then it never starts) or just after it
   * is handed to the engine but before the engine lists it (then the first KILL
   * finds nothing): so the kill is repeated until the query has ended.
   */
  private async cancellable(s: Session, sql: string, format: string, signal: AbortSignal | undefined): Promise<ChdbResult> {
    if (!signal) return query(s, sql, format)
    if (signal.aborted) throw sqlError('QUERY_WAS_CANCELLED', 'Query was cancelled: the client went away')
    const marker = `/* runway-query ${randomUUID()} */`
    let ended = false
    const onAbort = () => void this.killUntil(marker, () => ended)
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      return await query(s, `${marker}\n${sql}`, format)
    } catch (error) {
      if (signal.aborted) throw sqlError('QUERY_WAS_CANCELLED', 'Query was cancelled: the client went away')
      throw error
    } finally {
      ended = true
      signal.removeEventListener('abort', onAbort)
    }
  }

  /** Kills the query carrying `marker` once the engine lists it; retries while it has not ended. */
  private async killUntil(marker: string, ended: () => boolean): Promise<void> {
    for (let attempt = 0; !ended(); attempt++) {
      const killed = await this.withSession(async (k) => (await query(k, `KILL QUERY WHERE startsWith(query, ${sqlString(marker)}) ASYNC`, 'TabSeparated')).text()).catch(() => '')
      if (killed.trim() !== '' || ended()) return
      // Not listed yet: the engine registers a query a moment after it is handed over.
      await new Promise((resolve) => setTimeout(resolve, Math.min(10 * 2 ** attempt, 500)))
    }
  }

  /** The engine's function catalog, read once: the allow-list is by family, and families are the engine's. */
  private functions(): Promise<FunctionCatalog> {
    this.catalog ??= this.withSession(async (s) => {
      const text = (
        await query(s, 'SELECT name, categories AS category, alias_to AS aliasTo, toBool(is_aggregate) AS isAggregate, toBool(case_insensitive) AS caseInsensitive FROM system.functions', 'JSONEachRow')
      ).text()
      const rows = text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as { name: string; category: string; aliasTo: string; isAggregate: boolean; caseInsensitive: boolean })
      return functionCatalog(rows)
    }).catch((error: unknown) => {
      this.catalog = undefined
      throw error
    })
    return this.catalog
  }

  private async withSession<T>(fn: (s: Session) => Promise<T>): Promise<T> {
    let session: Session
    try {
      session = new Session(this.options.path)
    } catch (error) {
      throw toSqlError(error)
    }
    try {
      return await fn(session)
    } catch (error) {
      throw toSqlError(error)
    } finally {
      session.close()
    }
  }
}

/** Default limits on every query (operators change them with RUNWAY_CLICKHOUSE_HTTP_*; clients cannot). */
export const DEFAULT_LIMITS: EndpointLimits = {
  maxExecutionSeconds: 60,
  maxMemoryBytes: 1024 ** 3,
  maxResultBytes: 64 * 1024 ** 2,
  maxThreads: 2,
}

function paramAssignments(params: RawSqlParams): string[] {
  return Object.entries(params).map(([name, value]) => {
    if (!NAME.test(name)) throw sqlError('BAD_ARGUMENTS', `Invalid query parameter name ${JSON.stringify(name)}`)
    return `param_${name} = ${sqlString(value)}`
  })
}

/** Which of these (database, table) pairs exist, so a WITH alias is told from a table. */
async function existingTables(s: Session, names: ReadonlyArray<{ database: string; table: string }>): Promise<Set<string>> {
  if (names.length === 0) return new Set()
  const list = names.map((n) => `(${sqlString(n.database)}, ${sqlString(n.table)})`).join(', ')
  const rows = (await query(s, `SELECT database || '.' || name FROM system.tables WHERE (database, name) IN (${list})`, 'TabSeparatedRaw')).text()
  return new Set(rows.split('\n').filter((l) => l !== ''))
}

async function query(s: Session, sql: string, format = 'TabSeparated'): Promise<ChdbResult> {
  return s.queryAsync(sql, { format })
}

/** The engine's own one-line rendering of `sql`; its parse errors are the caller's, minus our wrapper query. */
async function normalize(s: Session, sql: string): Promise<string> {
  try {
    return (await query(s, `SELECT formatQuerySingleLine(${sqlString(sql)})`, 'RawBLOB')).text()
  } catch (error) {
    const e = toSqlError(error)
    const cut = e.message.lastIndexOf(': In scope SELECT formatQuerySingleLine(')
    throw cut < 0 ? e : new SqlError(e.code, e.type, e.message.slice(0, cut).trimEnd())
  }
}

function toSqlError(error: unknown): SqlError {
  if (error instanceof SqlError) return error
  const e = error as { message?: string; clickhouseCode?: number }
  return engineError(String(e.message ?? error), e.clickhouseCode)
}

export function chdbRawSql(options: ChdbRawSqlOptions): ChdbRawSql {
  return new ChdbRawSql(options)
}
