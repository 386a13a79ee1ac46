import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { TokenService } from '../../src/services/tokens.js'
import { type Embedded, T0, specBody, startEmbedded } from '../support/embedded.js'

/**
 * Issue 10, items 3 and 4 over real HTTP on an embedded runway (real chDB):
 * telemetry only where the token may send, one bad line never costs the good
 * ones, bounded parsing, idempotency keys that cannot be reused silently, and
 * content encodings. Every case counts what the warehouse stored and dead-lettered.
 */

const MAX_BYTES = 256 * 1024
const MAX_LINE_BYTES = 32 * 1024
const MAX_DEPTH = 8
let rt: Embedded
const tokens: Record<string, string> = {}

beforeAll(async () => {
  rt = await startEmbedded({
    config: {
      auth: loadConfig({ RUNWAY_AUTH: 'required' }).auth,
      ingest: { ...loadConfig({}).ingest, maxBytes: MAX_BYTES, maxEvents: 1000, maxLineBytes: MAX_LINE_BYTES, maxDepth: MAX_DEPTH },
    },
  })
  const service = new TokenService({ warehouse: rt.runtime.warehouse, clock: rt.runtime.clock, cacheTtlMs: 60_000 })
  tokens.root = (await service.create({ name: 'root', role: 'admin', namespace: '*' }, 'test')).token
  tokens.sendA = (await service.create({ name: 'svc-a', role: 'service', namespace: 'ns-a' }, 'test')).token
  tokens.sendAll = (await service.create({ name: 'svc-all', role: 'service', namespace: '*' }, 'test')).token
  for (const [id, namespace] of [['hard-a', 'ns-a'], ['hard-b', 'ns-b']] as const) {
    const res = await fetch(`${rt.baseUrl}/v1/experiments`, {
      method: 'POST',
      body: JSON.stringify(specBody({ id, namespace })),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.root}` },
    })
    expect(res.status, await res.text()).toBe(201)
  }
})
afterAll(async () => {
  await rt?.stop()
  rt?.cleanup()
})

let seq = 0
/** A valid event of `experimentId` with a unique event id under `tag`. */
const event = (tag: string, over: Record<string, unknown> = {}) => ({
  eventId: `${tag}-${seq++}`,
  ts: T0 + seq,
  experimentId: 'hard-a',
  variant: seq % 2 === 0 ? 'control' : 'treatment',
  unitId: `u-${seq % 17}`,
  metric: 'conversion',
  outcome: seq % 3 === 0,
  ...over,
})
const line = (tag: string, over: Record<string, unknown> = {}) => JSON.stringify(event(tag, over))

async function post(body: string | Buffer, headers: Record<string, string> = {}, token = tokens.sendAll) {
  const res = await fetch(`${rt.baseUrl}/v1/events`, {
    method: 'POST',
    body: typeof body === 'string' ? body : new Uint8Array(body),
    headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${token}`, ...headers },
  })
  const text = await res.text()
  let json: any = text
  try {
    json = JSON.parse(text)
  } catch {
    // asserted by the caller
  }
  return { status: res.status, body: json }
}

const count = async (sql: string, params: Record<string, string> = {}) => Number((await rt.runtime.warehouse.select<{ c: number }>(sql, params))[0]!.c)
/** Rows stored in events, and in the per-unit aggregates, for event ids starting with `tag-`. */
const stored = (tag: string) => count('SELECT count() AS c FROM events WHERE startsWith(event_id, {p:String})', { p: `${tag}-` })
const deadOf = (batchId: string) =>
  rt.runtime.warehouse.select<{ line: number; reason: string; raw: string; experiment_id: string }>(
    'SELECT line, reason, raw, experiment_id FROM dead_letters WHERE batch_id = {b:String} ORDER BY line',
    { b: batchId },
  )

describe('telemetry only where the token may send (item 3)', () => {
  it('dead-letters the lines for a namespace the token cannot send to, naming why, and stores the rest', async () => {
    const lines = [line('ns1'), line('ns1', { experimentId: 'hard-b' }), line('ns1'), line('ns1', { experimentId: 'hard-b' }), line('ns1')]
    const res = await post(lines.join('\n'), {}, tokens.sendA)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body).toMatchObject({ accepted: 3, rejected: 2 })
    expect(await stored('ns1')).toBe(3)
    expect(await count("SELECT count() AS c FROM events WHERE startsWith(event_id, 'ns1-') AND experiment_id = 'hard-b'")).toBe(0)
    const dead = await deadOf(res.body.batchId)
    expect(dead.map((d) => Number(d.line))).toEqual([2, 4])
    for (const d of dead) {
      expect(d.reason).toMatch(/svc-a lacks events:write in namespace ns-b/)
      expect(d.experiment_id).toBe('hard-b')
    }
  })

  it('a token on * sends to every namespace', async () => {
    const res = await post([line('ns2'), line('ns2', { experimentId: 'hard-b' })].join('\n'), {}, tokens.sendAll)
    expect(res.body).toMatchObject({ accepted: 2, rejected: 0 })
    expect(await stored('ns2')).toBe(2)
  })
})

describe('one bad line never costs the good ones (item 4)', () => {
  it('refuses lone surrogates and control characters per line, stores the good lines, dead-letters the raw line', async () => {
    const bad = [
      { unitId: 'a\uD800b' }, // lone high surrogate
      { unitId: 'x\uDC00' }, // lone low surrogate
      { eventId: 'ctl-\u0000' }, // NUL
      { service: 'svc\u001b[31m' }, // ESC (terminal escape)
      { unitId: 'u\u0085' }, // C1 control
      { attributes: { country: 'D\uD800E' } }, // in an attribute value
      { attributes: { ['k\u0007']: 'v' } }, // in an attribute key
    ]
    const lines = [line('sur')]
    for (const over of bad) lines.push(line('sur', over), line('sur'))
    const res = await post(lines.join('\n'))
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body).toMatchObject({ accepted: 8, rejected: 7 })
    expect(await stored('sur')).toBe(8)
    const dead = await deadOf(res.body.batchId)
    expect(dead.map((d) => Number(d.line))).toEqual([2, 4, 6, 8, 10, 12, 14])
    expect(dead[0]!.reason).toMatch(/unitId: .*lone UTF-16 surrogate/)
    expect(dead[2]!.reason).toMatch(/eventId: .*control character U\+0000/)
    expect(dead[3]!.reason).toMatch(/service: .*control character U\+001B/)
    expect(dead[4]!.reason).toMatch(/control character U\+0085/)
    expect(dead[5]!.reason).toMatch(/attributes\.country: .*lone UTF-16 surrogate/)
    expect(dead[6]!.reason).toMatch(/attributes: .*key .*control character U\+0007/)
    // The raw line is kept as sent (JSON escapes and all), so the dead letter itself can be stored.
    expect(dead[0]!.raw).toBe(lines[1])
    expect(dead[2]!.raw).toBe(lines[5])
  })

  it('keeps a dead letter whose raw text itself holds a lone surrogate (stream path), as U+FFFD', async () => {
    const raw = `{"eventId":"rawsur-1","unitId":"a\uD800b"}` // the character itself, not a JSON escape
    const result = await rt.runtime.ingest.ingestLines(
      [
        { line: 10, raw: line('rawsur') },
        { line: 11, raw },
        { line: 12, raw: line('rawsur') },
      ],
      { source: 'test', dedupToken: 'rawsur-chunk' },
    )
    expect(result.accepted).toBe(2)
    expect(result.rejections.map((r) => r.line)).toEqual([11])
    expect(await stored('rawsur')).toBe(2)
    const dead = await deadOf('rawsur-chunk')
    expect(dead).toHaveLength(1)
    expect(dead[0]!.raw).toBe('{"eventId":"rawsur-1","unitId":"a\uFFFDb"}')
  })

  it('refuses a timestamp the warehouse cannot hold (before 1970) per line', async () => {
    const res = await post([line('old'), line('old', { ts: '1969-12-31T23:59:59Z' }), line('old', { ts: '0001-01-01T00:00:00Z' })].join('\n'))
    expect(res.body).toMatchObject({ accepted: 1, rejected: 2 })
    expect(await stored('old')).toBe(1)
    expect((await deadOf(res.body.batchId)).map((d) => d.reason).join('\n')).toMatch(/ts: .*1970/)
  })

  it('dead-letters an NDJSON line nested deeper than the limit, naming it, and stores the others', async () => {
    const deep = `{"eventId":"deep-x","attributes":${'['.repeat(10_000)}${']'.repeat(10_000)}}`
    const res = await post([line('deep'), deep, '['.repeat(10_000), line('deep')].join('\n'))
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body).toMatchObject({ accepted: 2, rejected: 2 })
    expect(await stored('deep')).toBe(2)
    const dead = await deadOf(res.body.batchId)
    expect(dead.map((d) => Number(d.line))).toEqual([2, 3])
    for (const d of dead) expect(d.reason).toContain(`deeper than ${MAX_DEPTH} levels (RUNWAY_INGEST_MAX_DEPTH)`)
  })

  it('refuses a JSON body nested 10,000 deep with 400 naming the limit, storing nothing', async () => {
    const before = await count('SELECT count() AS c FROM dead_letters')
    const res = await post(`[${line('deepj')},${'['.repeat(10_000)}${']'.repeat(10_000)}]`, { 'content-type': 'application/json' })
    expect(res.status).toBe(400)
    expect(res.body.error.code).toBe('JSON_TOO_DEEP')
    expect(res.body.error.message).toContain('RUNWAY_INGEST_MAX_DEPTH')
    expect(await stored('deepj')).toBe(0)
    expect(await count('SELECT count() AS c FROM dead_letters')).toBe(before)
  })

  it('dead-letters a line over the line size limit, naming it', async () => {
    const big = line('size', { attributes: { blob: 'x'.repeat(MAX_LINE_BYTES) } })
    const res = await post([line('size'), big, line('size')].join('\n'))
    expect(res.body).toMatchObject({ accepted: 2, rejected: 1 })
    expect(await stored('size')).toBe(2)
    const dead = await deadOf(res.body.batchId)
    expect(dead).toHaveLength(1)
    expect(dead[0]!.reason).toContain(`limit is ${MAX_LINE_BYTES} bytes (RUNWAY_INGEST_MAX_LINE_BYTES)`)
  })
})

describe('Idempotency-Key (item 4)', () => {
  it('a reused key with a different body is a 409 that says so; the same body is stored once', async () => {
    const first = Array.from({ length: 50 }, () => line('idem'))
    const other = Array.from({ length: 40 }, () => line('idem2'))
    const key = { 'idempotency-key': 'hardening-key-1' }
    const a = await post(first.join('\n'), key)
    expect(a.status).toBe(200)
    expect(a.body).toMatchObject({ accepted: 50, rejected: 0 })
    const b = await post(other.join('\n'), key)
    expect(b.status, JSON.stringify(b.body)).toBe(409)
    expect(b.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED')
    expect(b.body.error.message).toMatch(/different body/)
    const c = await post(first.join('\n'), key)
    expect(c.status).toBe(200)
    expect(c.body).toMatchObject({ accepted: 50, rejected: 0, batchId: a.body.batchId })
    expect(await stored('idem')).toBe(50)
    expect(await stored('idem2')).toBe(0)
    expect(await count("SELECT sum(events) AS c FROM unit_metrics WHERE experiment_id = 'hard-a'")).toBe(
      await count("SELECT count() AS c FROM events WHERE experiment_id = 'hard-a'"),
    )
  })
})

describe('Content-Encoding (item 4)', () => {
  const body = (tag: string, n: number) => Array.from({ length: n }, () => line(tag)).join('\n')

  it('inflates gzip, deflate and br bodies', async () => {
    const cases: Array<[string, (b: Buffer) => Buffer]> = [
      ['gzip', gzipSync],
      ['deflate', deflateSync],
      ['br', brotliCompressSync],
    ]
    for (const [encoding, compress] of cases) {
      const res = await post(compress(Buffer.from(body(`enc${encoding}`, 30))), { 'content-encoding': encoding })
      expect(res.status, `${encoding}: ${JSON.stringify(res.body)}`).toBe(200)
      expect(res.body).toMatchObject({ accepted: 30, rejected: 0 })
      expect(await stored(`enc${encoding}`)).toBe(30)
    }
  })

  it('refuses a body that inflates past the limit with 413 naming it, storing nothing', async () => {
    const before = await count('SELECT count() AS c FROM events')
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, ' ')) // 64 MiB of spaces: ~65 KB compressed
    expect(bomb.length).toBeLessThan(MAX_BYTES)
    const res = await post(bomb, { 'content-encoding': 'gzip' })
    expect(res.status).toBe(413)
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE')
    expect(res.body.error.message).toContain('RUNWAY_INGEST_MAX_BYTES')
    expect(await count('SELECT count() AS c FROM events')).toBe(before)
  })

  it('refuses an unknown encoding with 415 and a corrupt one with 400, in the API error shape', async () => {
    const unknown = await post(Buffer.from(body('encx', 2)), { 'content-encoding': 'compress' })
    expect(unknown.status).toBe(415)
    expect(unknown.body.error.code).toBe('UNSUPPORTED_CONTENT_ENCODING')
    expect(unknown.body.error.message).toMatch(/gzip, deflate, br/)
    const corrupt = await post(Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' })
    expect(corrupt.status).toBe(400)
    expect(corrupt.body.error.code).toBe('BAD_CONTENT_ENCODING')
    expect(await stored('encx')).toBe(0)
  })
})

describe('the good data of all of the above', () => {
  it('events and unit_metrics agree, and the server still answers', async () => {
    expect(await count('SELECT sum(events) AS c FROM unit_metrics')).toBe(await count('SELECT count() AS c FROM events'))
    expect((await fetch(`${rt.baseUrl}/healthz`)).status).toBe(200)
  })
})
