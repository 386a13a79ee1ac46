import { createHash, randomUUID, timingSafeEqual } from 'node:crypto'
import { hostname } from 'node:os'
import { promisify } from 'node:util'
import { brotliDecompress, deflate, gunzip, gzip, inflate } from 'node:zlib'
import type { FastifyContextConfig, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ALL_NAMESPACES, authorize, namespacesWith, type Principal } from '../../domain/auth.js'
import { type RawSql, type RawSqlResult, SqlError, sqlError } from '../../ports/sql-endpoint.js'
import { contentTypeOf, httpStatusOfCode, isTransportParam } from '../clickhouse-http-protocol.js'
import { credentialsOf } from '../clickhouse-credentials.js'

export interface ClickHouseHttpOptions {
  /** Path the interface answers under; '' mounts it at the root, where tools without a path option expect it. */
  prefix?: string
  /** Allow writes (INSERT, DDL) on POST. GET stays read-only, as on a ClickHouse server. Default false. */
  writable?: boolean
  /** The one user accepted when no `tokens` are given; default `default`. */
  user?: string
  /** Its password; default empty (no password, like a fresh ClickHouse server). */
  password?: string
  /**
   * Runway API tokens (RUNWAY_AUTH=required): the token is the credential, as
   * `Authorization: Bearer`, as the password of basic auth, or as X-ClickHouse-Key;
   * `user`/`password` are then not accepted. Reads need `read`, and see only the
   * rows of the namespaces the token reads; writes need admin on `*`.
   */
  tokens?: { resolve(token: string): Promise<{ ok: true; principal: Principal } | { ok: false; reason: string }> }
  /** True when the app requires authentication: then `tokens` must be given, so the endpoint cannot be anonymous. */
  authRequired?: boolean
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

const gunzipAsync = promisify(gunzip) as (b: Buffer, o: { maxOutputLength: number }) => Promise<Buffer>
const inflateAsync = promisify(inflate) as (b: Buffer, o: { maxOutputLength: number }) => Promise<Buffer>
const brotliAsync = promisify(brotliDecompress) as (b: Buffer, o: { maxOutputLength: number }) => Promise<Buffer>
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
  if (deps.authRequired && !deps.tokens) throw new Error('the ClickHouse endpoint needs the token service when authentication is required')
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
    // A caller that goes away before its answer is sent gets its query killed.
    const abort = new AbortController()
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) abort.abort()
    })
    try {
      const caller = await authenticate(request, url, writable)
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
        signal: abort.signal,
        ...(caller.namespaces ? { namespaces: caller.namespaces } : {}),
      })
      await sendResult(request, reply, result, queryId, url.get('enable_http_compression') === '1')
    } catch (error) {
      await sendError(reply, error instanceof SqlError ? error : unexpected(error, request), queryId)
    }
  }

  /**
   * Basic auth, X-ClickHouse-User/Key headers or user/password URL parameters, as
   * ClickHouse accepts; with tokens, the token in any of the first three places
   * (never the URL, which ends up in logs). Returns the namespaces the caller may
   * read, or undefined for all.
   */
  async function authenticate(request: FastifyRequest, url: URLSearchParams, writable: boolean): Promise<{ namespaces?: string[] }> {
    const given = credentialsOf(request.headers, url)
    if (!deps.tokens) {
      const name = given.user || 'default'
      if (name !== expectedUser || !timingSafeEqual(digest(given.password ?? ''), expectedPassword)) {
        throw sqlError('AUTHENTICATION_FAILED', `${name}: Authentication failed: password is incorrect, or there is no user with such name`)
      }
      return {}
    }
    const token = given.bearer ?? given.headerKey ?? given.basicPassword
    const name = given.user || 'default'
    if (!token) {
      throw sqlError('AUTHENTICATION_FAILED', `${name}: Authentication failed: this endpoint needs a Runway API token (runway token create) as the password, or as Authorization: Bearer`)
    }
    const resolved = await deps.tokens.resolve(token)
    if (!resolved.ok) throw sqlError('AUTHENTICATION_FAILED', `${name}: Authentication failed: invalid or revoked API token`)
    const principal = resolved.principal
    if (writable && !authorize(principal, 'tokens:admin', ALL_NAMESPACES).ok) {
      throw sqlError('ACCESS_DENIED', `${principal.name}: Not enough privileges: writing through this endpoint needs the admin role on namespace '*'`)
    }
    const readable = namespacesWith(principal, 'read')
    if (readable.has(ALL_NAMESPACES)) return {}
    if (readable.size === 0) throw sqlError('ACCESS_DENIED', `${principal.name}: Not enough privileges: the token holds read on no namespace`)
    return { namespaces: [...readable].sort() }
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
    // Inflated bodies get the same limit as plain ones: a small bomb does not become a large allocation.
    const cap = { maxOutputLength: bodyLimit }
    try {
      if (encoding === 'gzip' || encoding === 'x-gzip') bytes = await gunzipAsync(raw, cap)
      else if (encoding === 'deflate') bytes = await inflateAsync(raw, cap)
      else if (encoding === 'br') bytes = await brotliAsync(raw, cap)
      else if (encoding !== '' && encoding !== 'identity') throw sqlError('UNKNOWN_COMPRESSION_METHOD', `Unknown HTTP compression method ${JSON.stringify(encoding)}; use gzip, deflate or br`)
    } catch (error) {
      if (error instanceof SqlError) throw error
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw sqlError('QUERY_IS_TOO_LARGE', `Request body inflates to more than the endpoint's limit of ${bodyLimit} bytes`)
      }
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
