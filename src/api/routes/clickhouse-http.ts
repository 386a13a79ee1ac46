import { createHash, randomUUID, timingSafeEqual } from 'node:crypto'
import { hostname } from 'node:os'
import { promisify } from 'node:util'
import { brotliDecompress, deflate, gunzip, gzip, inflate } from 'node:zlib'
import type { FastifyContextConfig, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { type RawSql, type RawSqlResult, SqlError, sqlError } from '../../ports/sql-endpoint.js'
import { contentTypeOf, httpStatusOfCode, isTransportParam } from '../clickhouse-http-protocol.js'

export interface ClickHouseHttpOptions {
  /** Path the interface answers under; '' mounts it at the root, where tools without a path option expect it. */
  prefix?: string
  /** Allow writes (INSERT, DDL) on POST. GET stays read-only, as on a ClickHouse server. Default false. */
  writable?: boolean
  /** The one user accepted; default `default`. */
  user?: string
  /** Its password; default empty (no password, like a fresh ClickHouse server). */
  password?: string
  /** `X-ClickHouse-Server-Display-Name`; default the host name. */
  displayName?: string
  /** Largest request body in bytes (query text or INSERT data). Default 16 MiB. */
  bodyLimit?: number
  /** Route config for the app it is mounted in (e.g. marking the routes as checking credentials of their own). */
  routeConfig?: FastifyContextConfig
}

export interface ClickHouseHttpDeps extends ClickHouseHttpOptions {
  rawSql: RawSql
}

const gunzipAsync = promisify(gunzip)
const inflateAsync = promisify(inflate)
const brotliAsync = promisify(brotliDecompress)
const gzipAsync = promisify(gzip)
const deflateAsync = promisify(deflate)

/**
 * The subset of ClickHouse's HTTP interface that the official clients use,
 * served over the embedded engine: `/ping`, query in the URL and/or body,
 * `param_*` bound by the engine, settings as URL parameters, ClickHouse's
 * response headers and its error format. Everything runs through `RawSql`, so
 * the read-only gate lives in one place.
 */
export function registerClickHouseRoutes(app: FastifyInstance, deps: ClickHouseHttpDeps): void {
  const prefix = deps.prefix ?? '/clickhouse'
  const displayName = deps.displayName ?? hostname()
  const expectedUser = deps.user ?? 'default'
  const expectedPassword = digest(deps.password ?? '')
  const bodyLimit = deps.bodyLimit ?? 16 * 1024 * 1024
  const config = deps.routeConfig ?? {}
  let version = ''

  void app.register(
    async (scope) => {
      // Query text and INSERT data are opaque bytes here, whatever the Content-Type says.
      scope.removeAllContentTypeParsers()
      scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body))

      scope.setErrorHandler((error, request, reply) => {
        const code = (error as { code?: string }).code
        const e =
          code === 'FST_ERR_CTP_BODY_TOO_LARGE'
            ? sqlError('QUERY_IS_TOO_LARGE', `Request body is larger than the endpoint's limit of ${bodyLimit} bytes`)
            : unexpected(error, request)
        void sendError(reply, e, randomUUID())
      })

      const ok = async (_request: FastifyRequest, reply: FastifyReply) => reply.type('text/plain; charset=UTF-8').send('Ok.\n')
      scope.get('/ping', { config }, ok) // fastify answers HEAD for every GET route
      // The route limit wins over the limit of the app this is mounted in (sized for telemetry batches).
      scope.get('/', { bodyLimit, config }, (request, reply) => handle(request, reply, false))
      scope.post('/', { bodyLimit, config }, (request, reply) => handle(request, reply, deps.writable === true))
    },
    { prefix },
  )

  async function handle(request: FastifyRequest, reply: FastifyReply, writable: boolean): Promise<void> {
    const url = new URLSearchParams(request.raw.url?.split('?')[1] ?? '')
    const queryId = url.get('query_id') || randomUUID()
    try {
      authenticate(request, url)
      // ClickHouse's own block compression (LZ4 + CityHash frames) is not implemented: say so instead of sending bytes the client cannot decode.
      if (url.get('compress') === '1' || url.get('decompress') === '1') {
        throw sqlError('NOT_IMPLEMENTED', 'ClickHouse-native compression (compress=1 / decompress=1) is not supported here; turn it off in the client (e.g. compress=false) or use HTTP compression')
      }
      const body = await decodeBody(request)
      const urlQuery = url.get('query') ?? ''
      // ClickHouse reads the URL's query, then the body, as one text (INSERT … FORMAT X in the URL, rows in the body).
      const sql = [urlQuery, body].filter((part) => part.length > 0).join('\n')
      if (sql.trim() === '' && request.method === 'GET') {
        void reply.type('text/plain; charset=UTF-8').send('Ok.\n')
        return
      }
      const params: Record<string, string> = {}
      const settings: Record<string, string> = {}
      for (const [key, value] of url) {
        if (key.startsWith('param_')) params[key.slice(6)] = value
        else if (!isTransportParam(key)) settings[key] = value
      }
      const header = (name: string) => {
        const v = request.headers[name]
        return Array.isArray(v) ? v[0] : v
      }
      const result = await deps.rawSql.run(sql, params, {
        readonly: !writable,
        settings,
        defaultFormat: url.get('default_format') || header('x-clickhouse-format') || undefined,
        database: url.get('database') || header('x-clickhouse-database') || undefined,
      })
      await sendResult(request, reply, result, queryId, url.get('enable_http_compression') === '1')
    } catch (error) {
      await sendError(reply, error instanceof SqlError ? error : unexpected(error, request), queryId)
    }
  }

  /** Basic auth, X-ClickHouse-User/Key headers or user/password URL parameters, as ClickHouse accepts. */
  function authenticate(request: FastifyRequest, url: URLSearchParams): void {
    let user = url.get('user') ?? undefined
    let password = url.get('password') ?? undefined
    const basic = /^Basic\s+(.+)$/i.exec(request.headers.authorization ?? '')
    if (basic?.[1]) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8')
      const colon = decoded.indexOf(':')
      user = colon < 0 ? decoded : decoded.slice(0, colon)
      password = colon < 0 ? '' : decoded.slice(colon + 1)
    }
    const headerUser = request.headers['x-clickhouse-user']
    const headerKey = request.headers['x-clickhouse-key']
    if (typeof headerUser === 'string') user = headerUser
    if (typeof headerKey === 'string') password = headerKey
    const name = user || 'default'
    if (name !== expectedUser || !timingSafeEqual(digest(password ?? ''), expectedPassword)) {
      throw sqlError('AUTHENTICATION_FAILED', `${name}: Authentication failed: password is incorrect, or there is no user with such name`)
    }
  }

  async function sendResult(request: FastifyRequest, reply: FastifyReply, result: RawSqlResult, queryId: string, compress: boolean): Promise<void> {
    const s = result.summary
    const summary = {
      read_rows: String(s.readRows),
      read_bytes: String(s.readBytes),
      written_rows: String(s.writtenRows),
      written_bytes: String(s.writtenBytes),
      total_rows_to_read: '0',
      result_rows: String(s.resultRows),
      result_bytes: String(s.resultBytes),
      elapsed_ns: String(s.elapsedNs),
    }
    void reply
      .status(200)
      .header('X-ClickHouse-Query-Id', queryId)
      .header('X-ClickHouse-Format', result.format)
      .header('X-ClickHouse-Timezone', result.timezone)
      .header('X-ClickHouse-Server-Display-Name', displayName)
      .header('X-ClickHouse-Summary', JSON.stringify(summary))
      .type(contentTypeOf(result.format))
    // Like ClickHouse, compress only when the client asked twice: the setting and Accept-Encoding.
    const accepts = String(request.headers['accept-encoding'] ?? '')
      .split(',')
      .map((e) => e.trim().split(';')[0])
    if (compress && accepts.includes('gzip')) {
      void reply.header('Content-Encoding', 'gzip').send(await gzipAsync(result.body))
    } else if (compress && accepts.includes('deflate')) {
      void reply.header('Content-Encoding', 'deflate').send(await deflateAsync(result.body))
    } else {
      void reply.send(result.body)
    }
  }

  async function sendError(reply: FastifyReply, error: SqlError, queryId: string): Promise<void> {
    if (!version) version = await deps.rawSql.serverInfo().then((i) => i.version, () => '')
    const suffix = version ? ` (version ${version})` : ''
    void reply
      .status(httpStatusOfCode(error.code))
      .header('X-ClickHouse-Query-Id', queryId)
      .header('X-ClickHouse-Server-Display-Name', displayName)
      .header('X-ClickHouse-Exception-Code', String(error.code))
      .type('text/plain; charset=UTF-8')
      .send(`Code: ${error.code}. DB::Exception: ${sentence(error.message)} (${error.type})${suffix}\n`)
  }

  async function decodeBody(request: FastifyRequest): Promise<string> {
    const raw = request.body
    if (!Buffer.isBuffer(raw) || raw.length === 0) return ''
    const encoding = String(request.headers['content-encoding'] ?? '').trim().toLowerCase()
    let bytes: Buffer = raw
    try {
      if (encoding === 'gzip' || encoding === 'x-gzip') bytes = await gunzipAsync(raw)
      else if (encoding === 'deflate') bytes = await inflateAsync(raw)
      else if (encoding === 'br') bytes = await brotliAsync(raw)
      else if (encoding !== '' && encoding !== 'identity') throw sqlError('UNKNOWN_COMPRESSION_METHOD', `Unknown HTTP compression method ${JSON.stringify(encoding)}; use gzip, deflate or br`)
    } catch (error) {
      if (error instanceof SqlError) throw error
      throw sqlError('UNKNOWN_COMPRESSION_METHOD', `Cannot decompress the request body as ${encoding}: ${(error as Error).message}`)
    }
    return bytes.toString('utf8')
  }
}

function unexpected(error: unknown, request: FastifyRequest): SqlError {
  if (error instanceof SqlError) return error
  request.log.error({ err: error, url: request.url }, 'clickhouse endpoint failed')
  return new SqlError(1001, 'STD_EXCEPTION', error instanceof Error ? error.message : String(error))
}

/** ClickHouse messages end with a full stop before the `(TYPE)` tag. */
function sentence(message: string): string {
  return /[.!?]$/.test(message) ? message : `${message}.`
}

/** Fixed-length digests let a constant-time compare work on passwords of any length. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}
