import { mkdirSync } from 'node:fs'
import { Session, type ChdbResult } from 'chdb'
import { type RawSql, type RawSqlOptions, type RawSqlParams, type RawSqlResult, SqlError, sqlError } from '../../ports/sql-endpoint.js'
import { engineError, FORMAT_NAME, NAME, quoteIdentifier, READ_KINDS, sqlString, statementShape } from './clickhouse-sql-text.js'

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
  /** Settings the operator imposes on every query (e.g. max_execution_time); the client cannot override them. */
  enforcedSettings?: Record<string, string | number>
  /** Runs before every query: the warehouse writes what it has journaled, so callers read their writes. */
  beforeQuery?: () => Promise<void>
}

/**
 * Settings that clients may not send: the gate itself, the parser dialect
 * (the statement check parses ClickHouse SQL) and the ones that make
 * clickhouse-local touch the host's file system.
 */
const DENIED_SETTINGS = new Set(['readonly', 'dialect', 'input_format_record_errors_file_path', 'into_outfile_create_parent_directories', 'allow_ddl'])

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
 * Read-only callers get three layers, none of them a pattern over raw text:
 * the engine's parser renders the statement (one statement only; INTO OUTFILE
 * / FROM INFILE refused: clickhouse-local would run them on the host), the
 * rendered statement's kind must be a read, and the Session runs under
 * ClickHouse's own `readonly = 1`, which also refuses table functions such as
 * file() and url() and any setting change inside the query.
 */
export class ChdbRawSql implements RawSql {
  private readonly running = new Set<Promise<unknown>>()
  /** Queries waiting for a slot, first come first served. */
  private readonly waiting: Array<() => void> = []
  /** Slots taken (running, or handed to a woken waiter that has not started yet). */
  private active = 0
  private closed = false
  private info?: Promise<{ version: string; timezone: string }>

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
    const defaultFormat = options.defaultFormat ?? 'TabSeparated'
    if (!FORMAT_NAME.test(defaultFormat)) throw sqlError('BAD_ARGUMENTS', `Invalid format name ${JSON.stringify(defaultFormat)}`)
    const assignments = this.assignments(params, options)
    const { timezone: serverTimezone } = await this.serverInfo()
    return this.withSession(async (s) => {
      // The check parses the whole text, which may be larger than the default max_query_size (an INSERT's data).
      await query(s, `SET max_query_size = ${Math.max(DEFAULT_MAX_QUERY_SIZE, 2 * Buffer.byteLength(sql) + 1024)}`)
      const normalized = await normalize(s, sql)
      const shape = statementShape(normalized)
      if (shape.intoOutfile) throw sqlError('INTO_OUTFILE_NOT_ALLOWED', 'INTO OUTFILE is not allowed')
      if (shape.fromInfile) throw sqlError('NOT_IMPLEMENTED', 'FROM INFILE is not supported over HTTP; send the data in the request body')
      if (options.readonly && !READ_KINDS.has(shape.kind)) {
        throw sqlError('READONLY', `Cannot execute query in readonly mode: the endpoint only runs read queries, not ${shape.kind}.`)
      }
      if (options.database !== undefined && options.database !== '') await query(s, `USE ${quoteIdentifier(options.database)}`)
      await query(s, `SET ${assignments.join(', ')}`)
      const started = process.hrtime.bigint()
      const result = await query(s, sql, defaultFormat)
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

  /** One SET for everything: parameters, the client's settings, the operator's, then the gate last. */
  private assignments(params: RawSqlParams, options: RawSqlOptions): string[] {
    const out: string[] = []
    for (const [name, value] of Object.entries(params)) {
      if (!NAME.test(name)) throw sqlError('BAD_ARGUMENTS', `Invalid query parameter name ${JSON.stringify(name)}`)
      out.push(`param_${name} = ${sqlString(value)}`)
    }
    const enforced = this.options.enforcedSettings ?? {}
    const settings = options.settings ?? {}
    for (const [name, value] of Object.entries(settings)) {
      if (!NAME.test(name)) throw sqlError('BAD_ARGUMENTS', `Invalid setting name ${JSON.stringify(name)}`)
      if (name in enforced) continue
      if (name === 'readonly' && (options.readonly || value === '0')) continue
      if (DENIED_SETTINGS.has(name) && name !== 'readonly') {
        throw sqlError('READONLY', `Cannot modify '${name}' setting: it is not allowed over this endpoint`)
      }
      out.push(`${name} = ${sqlString(value)}`)
    }
    if (!('max_query_size' in settings)) out.push('max_query_size = DEFAULT')
    for (const [name, value] of Object.entries(enforced)) {
      if (!NAME.test(name)) throw new Error(`invalid enforced setting name ${JSON.stringify(name)}`)
      out.push(`${name} = ${sqlString(String(value))}`)
    }
    if (options.readonly) out.push('readonly = 1')
    return out
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
