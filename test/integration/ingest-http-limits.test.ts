import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { type Embedded, startEmbedded } from '../support/embedded.js'

/**
 * Framework-level refusals in the API's own error shape, and the HTTP timeouts
 * (issue 10, item 4): raw sockets, so nothing in a client library hides what
 * the server sent or whether it closed the connection.
 */

const HEADERS_TIMEOUT_MS = 400
let rt: Embedded
let port = 0

beforeAll(async () => {
  const http = loadConfig({ RUNWAY_HTTP_HEADERS_TIMEOUT: `${HEADERS_TIMEOUT_MS}ms`, RUNWAY_HTTP_REQUEST_TIMEOUT: '2s', RUNWAY_HTTP_KEEP_ALIVE_TIMEOUT: '1s' }).http
  rt = await startEmbedded({ config: { http, ingest: { ...loadConfig({}).ingest, maxBytes: 64 * 1024 } } })
  port = Number(new URL(rt.baseUrl).port)
})
afterAll(async () => {
  await rt?.stop()
  rt?.cleanup()
})

/** Sends `request` on a fresh socket; resolves with everything the server sent once it closes. */
function raw(request: string, timeoutMs = 10_000): Promise<{ status: number; body: any; text: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1')
    let data = ''
    const timer = setTimeout(() => {
      s.destroy()
      reject(new Error(`server kept the socket open ${timeoutMs} ms; got ${JSON.stringify(data.slice(0, 200))}`))
    }, timeoutMs)
    s.on('data', (d) => (data += d.toString('latin1')))
    s.on('error', () => {})
    s.on('close', () => {
      clearTimeout(timer)
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)
      const text = data.slice(data.indexOf('\r\n\r\n') + 4)
      let body: any = null
      try {
        body = JSON.parse(text)
      } catch {
        // asserted below
      }
      resolve({ status, body, text })
    })
    s.write(request)
  })
}

const shaped = (body: any) => {
  expect(body, 'an {error:{code,message}} body').toBeTruthy()
  expect(typeof body.error.code).toBe('string')
  expect(typeof body.error.message).toBe('string')
  expect(body.error.message.length).toBeGreaterThan(5)
}

describe('framework errors come back in the API error shape', () => {
  it('431 for headers over the limit', async () => {
    const r = await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`)
    expect(r.status).toBe(431)
    shaped(r.body)
    expect(r.body.error.code).toBe('HEADERS_TOO_LARGE')
  })

  it('414 for a URL over the limit', async () => {
    const r = await raw(`GET /v1/experiments/${'a'.repeat(9_000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
    expect(r.status).toBe(414)
    shaped(r.body)
    expect(r.body.error.code).toBe('URI_TOO_LONG')
  })

  it('413 for a body over the limit (by Content-Length and by chunks)', async () => {
    const declared = await raw(`POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nContent-Length: ${200 * 1024}\r\nConnection: close\r\n\r\n`)
    expect(declared.status).toBe(413)
    shaped(declared.body)
    expect(declared.body.error.code).toBe('PAYLOAD_TOO_LARGE')
    const chunk = 'x'.repeat(40 * 1024)
    const chunked = await raw(`POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${(chunk.length).toString(16)}\r\n${chunk}\r\n${(chunk.length).toString(16)}\r\n${chunk}\r\n0\r\n\r\n`)
    expect(chunked.status).toBe(413)
    shaped(chunked.body)
  })

  it('400 for a malformed request line, a bad URL and a body length mismatch', async () => {
    const garbage = await raw('NOT AN HTTP REQUEST\r\n\r\n')
    expect(garbage.status).toBe(400)
    shaped(garbage.body)
    const badUrl = await raw('GET /v1/experiments/%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    expect(badUrl.status).toBe(400)
    shaped(badUrl.body)
  })

  it('404 and 405-like misses are shaped too', async () => {
    const r = await raw('DELETE /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    expect(r.status).toBe(404)
    shaped(r.body)
  })

  it('408 in the API shape when headers do not arrive in time', async () => {
    const r = await raw('GET /healthz HTTP/1.1\r\nHost: x\r\n', 10_000)
    expect(r.status).toBe(408)
    shaped(r.body)
    expect(r.body.error.code).toBe('REQUEST_TIMEOUT')
  })
})

describe('timeouts', () => {
  it('closes 20 sockets that trickle their headers, and keeps serving', async () => {
    const sockets: Socket[] = []
    const closed = new Set<number>()
    const timers: NodeJS.Timeout[] = []
    for (let i = 0; i < 20; i++) {
      const s = connect(port, '127.0.0.1')
      s.on('error', () => {})
      s.on('close', () => closed.add(i))
      s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n')
      // One header byte every 50 ms: always active, never done.
      timers.push(setInterval(() => s.writable && s.write('X'), 50))
      sockets.push(s)
    }
    try {
      // Far longer than the configured headers timeout, yet bounded: the sockets must be gone.
      for (let waited = 0; closed.size < 20 && waited < 15_000; waited += 50) await new Promise((r) => setTimeout(r, 50))
      expect(closed.size).toBe(20)
      expect((await fetch(`${rt.baseUrl}/healthz`)).status).toBe(200)
    } finally {
      for (const t of timers) clearInterval(t)
      for (const s of sockets) s.destroy()
    }
  })

  it('closes an idle keep-alive connection after the keep-alive timeout', async () => {
    const s = connect(port, '127.0.0.1')
    let closedAt = 0
    let got = ''
    s.on('data', (d) => (got += d.toString()))
    s.on('close', () => (closedAt = Date.now()))
    s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
    for (let waited = 0; closedAt === 0 && waited < 15_000; waited += 50) await new Promise((r) => setTimeout(r, 50))
    expect(got).toMatch(/^HTTP\/1\.1 200/)
    expect(closedAt).toBeGreaterThan(0)
    s.destroy()
  })

  it('the configured timeouts are what the server uses', () => {
    expect(rt.app.server.headersTimeout).toBe(HEADERS_TIMEOUT_MS)
    expect(rt.app.server.requestTimeout).toBe(2000)
    expect(rt.app.server.keepAliveTimeout).toBe(1000)
  })
})
