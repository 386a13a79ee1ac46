import { type ServerOptions, STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { Readable } from 'node:stream'
import { Transform } from 'node:stream'
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify'
import type { RunwayConfig } from '../config.js'
import { InputError, RunwayError, TooLargeError } from '../errors.js'

/**
 * What the HTTP framework refuses before a route runs (bad request lines, huge
 * headers, timeouts, bodies over the limit, encodings) comes back in the API's
 * own `{error:{code,message}}` shape, and the server bounds how long a client
 * may take to send a request.
 */

/** A refusal with its own HTTP status (415, 414, 431, 408…), for the framework's cases errors.ts has no class for. */
export class HttpStatusError extends RunwayError {
  constructor(
    readonly statusCode: number,
    code: string,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(code, message, details)
  }
}

/** Longest request target (path and query) answered; longer ones get 414, like common proxies' 8 KiB line limit. */
export const MAX_URL_BYTES = 8192
/** Node's default header limit (request line included); above it, 431. */
const MAX_HEADER_BYTES = 16 * 1024

/** Fastify's error codes for the framework's own refusals, as the API's codes. */
const FRAMEWORK_CODES: Readonly<Record<string, { status: number; code: string }>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'INVALID_CONTENT_LENGTH' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'EMPTY_BODY' },
  FST_ERR_BAD_URL: { status: 400, code: 'BAD_URL' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'URI_TOO_LONG' },
  FST_ERR_ASYNC_CONSTRAINT: { status: 500, code: 'INTERNAL' },
}

/** A framework error (it has a statusCode, or a known FST_ code) as status + API error body; null for anything else. */
export function frameworkRefusal(error: unknown): { status: number; body: { error: { code: string; message: string } } } | null {
  if (error instanceof HttpStatusError) return { status: error.statusCode, body: { error: { code: error.code, message: error.message } } }
  if (error instanceof RunwayError) return null
  const e = error as Partial<FastifyError>
  const known = e.code ? FRAMEWORK_CODES[e.code] : undefined
  const status = known?.status ?? (typeof e.statusCode === 'number' ? e.statusCode : 0)
  if (status < 400 || status >= 500) return null
  const code = known?.code ?? (status === 400 ? 'BAD_REQUEST' : (STATUS_CODES[status] ?? 'ERROR').toUpperCase().replace(/[^A-Z]+/g, '_'))
  return { status, body: { error: { code, message: e.message ?? STATUS_CODES[status] ?? 'refused' } } }
}

/** Server options: timeouts (RUNWAY_HTTP_*), and the socket-level refusals in the API shape. */
export function hardenedServerOptions(config: Pick<RunwayConfig, 'http'>): {
  requestTimeout: number
  keepAliveTimeout: number
  http: ServerOptions
  clientErrorHandler: NonNullable<FastifyServerOptions['clientErrorHandler']>
  frameworkErrors: NonNullable<FastifyServerOptions['frameworkErrors']>
} {
  const { requestTimeoutMs, headersTimeoutMs, keepAliveTimeoutMs } = config.http
  return {
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: keepAliveTimeoutMs,
    http: {
      headersTimeout: headersTimeoutMs,
      maxHeaderSize: MAX_HEADER_BYTES,
      // How often Node checks those timeouts (its default, 30 s, would let a 10 s headers timeout run to 40 s).
      connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(Math.min(headersTimeoutMs, requestTimeoutMs) / 4))),
    },
    clientErrorHandler: (error: Error & { code?: string }, socket: Socket) => {
      if (error.code === 'ECONNRESET' || socket.destroyed) return
      const [status, code, message] =
        error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'REQUEST_TIMEOUT', `the request did not arrive in time: headers within ${headersTimeoutMs} ms (RUNWAY_HTTP_HEADERS_TIMEOUT), the whole request within ${requestTimeoutMs} ms (RUNWAY_HTTP_REQUEST_TIMEOUT)`]
          : error.code === 'HPE_HEADER_OVERFLOW'
            ? [431, 'HEADERS_TOO_LARGE', `request line and headers exceed ${MAX_HEADER_BYTES} bytes`]
            : [400, 'BAD_REQUEST', `malformed HTTP request${error.code ? ` (${error.code})` : ''}`]
      const body = JSON.stringify({ error: { code, message } })
      if (socket.writable) {
        socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
      }
      socket.destroy()
    },
    frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      const refusal = frameworkRefusal(error) ?? { status: 400, body: { error: { code: 'BAD_REQUEST', message: error.message } } }
      void reply.status(refusal.status).send(refusal.body)
    },
  }
}

/** 414 before anything else looks at a request whose target is over MAX_URL_BYTES. */
export function installUrlLimit(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    const url = request.raw.url ?? ''
    if (url.length > MAX_URL_BYTES) throw new HttpStatusError(414, 'URI_TOO_LONG', `request target is ${url.length} bytes; the limit is ${MAX_URL_BYTES}`)
  })
}

type Decoder = Transform
const DECODERS: Readonly<Record<string, () => Decoder>> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
}

/**
 * Inflates `Content-Encoding: gzip | deflate | br` bodies of the routes `appliesTo`
 * accepts, stopping the decoder as soon as the inflated body passes `maxBytes`
 * (413): a 1 MB body that inflates to 1 GB costs at most maxBytes of work.
 * Any other encoding is refused with 415.
 */
export function installBodyDecoding(app: FastifyInstance, o: { maxBytes: number; appliesTo: (url: string) => boolean }): void {
  app.addHook('preParsing', async (request, _reply, payload) => {
    const encoding = String(request.headers['content-encoding'] ?? '').trim().toLowerCase()
    if (encoding === '' || encoding === 'identity' || !o.appliesTo(request.url)) return payload
    const make = Object.hasOwn(DECODERS, encoding) ? DECODERS[encoding] : undefined
    if (!make) {
      throw new HttpStatusError(415, 'UNSUPPORTED_CONTENT_ENCODING', `Content-Encoding ${JSON.stringify(encoding.slice(0, 40))} is not supported; send gzip, deflate, br or identity`)
    }
    return inflate(payload, make(), encoding, o.maxBytes)
  })
}

function inflate(payload: Readable, decoder: Decoder, encoding: string, maxBytes: number): Readable {
  let inflated = 0
  const out = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      inflated += chunk.length
      if (inflated > maxBytes) callback(new TooLargeError(`request body inflates past the limit of ${maxBytes} bytes (RUNWAY_INGEST_MAX_BYTES)`, { maxBytes }))
      else callback(null, chunk)
    },
  }) as Transform & { receivedEncodedLength: number }
  // Fastify compares Content-Length with what was received on the wire, not the inflated length.
  out.receivedEncodedLength = 0
  payload.on('data', (chunk: Buffer) => (out.receivedEncodedLength += chunk.length))
  decoder.on('error', (error) => out.destroy(new InputError(`request body is not valid ${encoding}: ${error.message}`, [], 'BAD_CONTENT_ENCODING')))
  out.on('error', () => {
    // Stop inflating, and drain the rest of the request so the refusal can still be sent.
    payload.unpipe(decoder)
    decoder.destroy()
    payload.resume()
  })
  payload.pipe(decoder).pipe(out)
  return out
}
