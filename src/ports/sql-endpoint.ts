/**
 * Raw SQL in, bytes out: the optional capability behind Runway's
 * ClickHouse-compatible HTTP endpoint. Unlike `Warehouse` (typed rows for
 * Runway's own fixed SQL), this runs caller-written SQL in any output FORMAT
 * and reports failures with ClickHouse's own numeric code and type name, so
 * standard ClickHouse clients can talk to an embedded deployment.
 */

/** HTTP-style query parameters: each value is the text form ClickHouse parses by the placeholder's type. */
export type RawSqlParams = Record<string, string>

export interface RawSqlOptions {
  /** Output format when the SQL has no FORMAT clause (ClickHouse's `default_format`). */
  defaultFormat?: string
  /** Settings sent by the client (URL parameters), applied before read-only mode is switched on. */
  settings?: Record<string, string>
  /** Current database for unqualified table names. */
  database?: string
  /** Only read queries (ClickHouse `readonly = 1`); false lets the caller INSERT too. */
  readonly: boolean
  /** Set: the caller may read only rows of these namespaces (a token's grants); unset: every row. */
  namespaces?: readonly string[]
  /** Aborted when the caller goes away: the running query is killed. */
  signal?: AbortSignal
}

/** What ClickHouse reports in `X-ClickHouse-Summary`; counts the engine does not expose stay 0. */
export interface RawSqlSummary {
  readRows: number
  readBytes: number
  writtenRows: number
  writtenBytes: number
  resultRows: number
  resultBytes: number
  elapsedNs: number
}

export interface RawSqlResult {
  body: Buffer
  /** The output format actually used (the SQL's FORMAT clause wins over `defaultFormat`). */
  format: string
  summary: RawSqlSummary
  /** Effective time zone of the query (`session_timezone` or the server's). */
  timezone: string
}

export interface RawSql {
  run(sql: string, params: RawSqlParams, options: RawSqlOptions): Promise<RawSqlResult>
  /** Engine version and default time zone, for the endpoint's headers. */
  serverInfo(): Promise<{ version: string; timezone: string }>
  /** Waits for running queries, then refuses new ones. */
  close(): Promise<void>
}

/**
 * A failure in ClickHouse's vocabulary: `code` is ClickHouse's error number
 * (164), `type` its name (READONLY). The endpoint renders it exactly as a
 * ClickHouse server would, so clients parse it with their usual error code.
 */
export class SqlError extends Error {
  constructor(
    readonly code: number,
    readonly type: string,
    message: string,
  ) {
    super(message)
    this.name = 'SqlError'
  }
}

/** The ClickHouse error codes this endpoint raises itself (numbers checked with `errorCodeToName`). */
export const SQL_ERRORS = {
  BAD_ARGUMENTS: 36,
  NOT_IMPLEMENTED: 48,
  SYNTAX_ERROR: 62,
  UNKNOWN_COMPRESSION_METHOD: 89,
  READONLY: 164,
  QUERY_WAS_CANCELLED: 394,
  ACCESS_DENIED: 497,
  TOO_MANY_SIMULTANEOUS_QUERIES: 202,
  QUERY_IS_TOO_LARGE: 229,
  ABORTED: 236,
  INTO_OUTFILE_NOT_ALLOWED: 358,
  AUTHENTICATION_FAILED: 516,
} as const

export function sqlError(type: keyof typeof SQL_ERRORS, message: string): SqlError {
  return new SqlError(SQL_ERRORS[type], type, message)
}
