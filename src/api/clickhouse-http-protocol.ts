/**
 * The parts of ClickHouse's HTTP protocol that are plain tables: which URL
 * parameters steer the transport rather than the query, which status an error
 * code gets, and which Content-Type a format is served with.
 */

/**
 * URL parameters that are not query settings. Some only mean something to a
 * server's HTTP layer (compression, progress headers, sessions); sent to the
 * engine as settings they would fail as unknown, so they are read or ignored here.
 */
const TRANSPORT_PARAMS = new Set([
  'query',
  'database',
  'default_format',
  'query_id',
  'user',
  'password',
  'quota_key',
  'role',
  'session_id',
  'session_timeout',
  'session_check',
  'compress',
  'decompress',
  'buffer_size',
  'wait_end_of_query',
  'http_wait_end_of_query',
  'enable_http_compression',
  'http_zlib_compression_level',
  'http_native_compression_disable_checksumming_on_decompress',
  'http_response_compression_method',
  'send_progress_in_http_headers',
  'http_headers_progress_interval_ms',
  'http_send_progress_interval_ms',
  'http_response_buffer_size',
  'cancel_http_readonly_queries_on_client_close',
  'add_http_cors_header',
  'client_protocol_version',
  'stacktrace',
])

export function isTransportParam(name: string): boolean {
  return TRANSPORT_PARAMS.has(name)
}

const STATUS_BY_CODE: ReadonlyMap<number, number> = new Map([
  // The request: unparsable text, values or parameters, or a bad setting.
  ...[6, 26, 27, 32, 36, 38, 41, 53, 62, 69, 72, 73, 115, 117, 190, 211, 393, 456, 457].map((c) => [c, 400] as const),
  // Authentication.
  ...[192, 193, 194, 516].map((c) => [c, 401] as const),
  // Permission: read-only mode, grants, INTO OUTFILE.
  ...[164, 195, 291, 358, 497].map((c) => [c, 403] as const),
  // Something named that does not exist.
  ...[46, 47, 60, 81].map((c) => [c, 404] as const),
  [229, 413],
  [89, 415],
  [48, 501],
  // Busy or shutting down: clients retry these.
  [202, 503],
  [236, 503],
])

export function httpStatusOfCode(code: number): number {
  return STATUS_BY_CODE.get(code) ?? 500
}

export function contentTypeOf(format: string): string {
  const f = format.toLowerCase()
  if (f.startsWith('tabseparated') || f.startsWith('tsv')) return 'text/tab-separated-values; charset=UTF-8'
  if (f.startsWith('csv')) return 'text/csv; charset=UTF-8'
  if (f === 'jsoneachrow' || f === 'jsonlines' || f === 'ndjson' || f.startsWith('jsoncompacteachrow') || f.startsWith('jsonstringseachrow')) {
    return 'application/x-ndjson; charset=UTF-8'
  }
  if (f.startsWith('json')) return 'application/json; charset=UTF-8'
  if (f === 'xml') return 'application/xml; charset=UTF-8'
  if (/^(native|rowbinary|parquet|arrow|orc|avro|protobuf|capnproto|msgpack|rawblob|npy|bsoneachrow)/.test(f)) return 'application/octet-stream'
  return 'text/plain; charset=UTF-8'
}
