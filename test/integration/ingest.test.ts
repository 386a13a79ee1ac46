import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { type Embedded, T0, getJson, postJson, specBody, startEmbedded } from '../support/embedded.js'

let rt: Embedded
const MAX_EVENTS = 1000
const MAX_BYTES = 256 * 1024

beforeAll(async () => {
  rt = await startEmbedded({ config: { ingest: { ...loadConfig({}).ingest, maxBytes: MAX_BYTES, maxEvents: MAX_EVENTS } } })
  expect((await postJson(rt.baseUrl, '/v1/experiments', specBody({ id: 'ing-a' }))).status).toBe(201)
})
afterAll(async () => {
  await rt.stop()
  rt.cleanup()
})

const event = (i: number, over: Record<string, unknown> = {}) => ({
  eventId: `e-${i}`,
  ts: T0 + i,
  experimentId: 'ing-a',
  variant: i % 2 === 0 ? 'control' : 'treatment',
  unitId: `u-${i % 50}`,
  metric: 'conversion',
  outcome: i % 3 === 0,
  ...over,
})

async function postNdjson(lines: string[], headers: Record<string, string> = {}) {
  const res = await fetch(`${rt.baseUrl}/v1/events`, { method: 'POST', body: lines.join('\n'), headers: { 'content-type': 'application/x-ndjson', ...headers } })
  return { status: res.status, body: (await res.json()) as any }
}

const count = async (sql: string, params: Record<string, string> = {}) => Number((await rt.runtime.warehouse.select<{ c: number }>(sql, params))[0]!.c)

describe('POST /v1/events', () => {
  it('stores good lines exactly and dead-letters every bad one with its line and reason', async () => {
    const lines = [
      JSON.stringify(event(1)), // 1 good
      JSON.stringify(event(2, { value: 'high', outcome: undefined })), // 2 wrong type
      JSON.stringify(event(3, { experimentId: undefined })), // 3 missing experiment id
      JSON.stringify(event(4, { experimentId: 'nope' })), // 4 unknown experiment
      '{"eventId": "e-5", "ts": ', // 5 invalid JSON
      JSON.stringify(event(6)), // 6 good
      '', // blank lines are skipped, not errors
      JSON.stringify(event(8, { variant: 'ghost' })), // 8 unknown variant
      JSON.stringify(event(9, { colour: 'red' })), // 9 unknown field
      JSON.stringify(event(10, { value: 3, outcome: true })), // 10 both value and outcome
      JSON.stringify(event(11, { value: 0.5, outcome: undefined })), // 11 good (value)
    ]
    const res = await postNdjson(lines)
    expect(res.status).toBe(200)
    expect(res.body.accepted).toBe(3)
    expect(res.body.rejected).toBe(7)
    const byLine = new Map<number, string>(res.body.errors.map((e: { line: number; reason: string }) => [e.line, e.reason]))
    expect([...byLine.keys()]).toEqual([2, 3, 4, 5, 8, 9, 10])
    expect(byLine.get(2)).toMatch(/value/)
    expect(byLine.get(3)).toMatch(/experimentId/)
    expect(byLine.get(4)).toMatch(/unknown experiment "nope"/)
    expect(byLine.get(5)).toMatch(/invalid JSON/)
    expect(byLine.get(8)).toMatch(/no variant "ghost"/)
    expect(byLine.get(9)).toMatch(/colour/)
    expect(byLine.get(10)).toMatch(/exactly one of value or outcome/)

    expect(await count("SELECT count() AS c FROM events WHERE experiment_id = 'ing-a' AND event_id IN ('e-1','e-6','e-11')")).toBe(3)
    const dead = await rt.runtime.warehouse.select<{ line: number; reason: string; raw: string; experiment_id: string }>(
      'SELECT line, reason, raw, experiment_id FROM dead_letters WHERE batch_id = {b:String} ORDER BY line',
      { b: res.body.batchId },
    )
    expect(dead.map((d) => Number(d.line))).toEqual([2, 3, 4, 5, 8, 9, 10])
    expect(dead[3]!.raw).toBe('{"eventId": "e-5", "ts": ') // the raw line is kept as sent
    expect(dead[2]!.experiment_id).toBe('nope') // unknown experiments are dead-lettered, not dropped
    for (const d of dead) expect(d.reason.length).toBeGreaterThan(10)
  })

  it('accepts a JSON array and reports item numbers', async () => {
    const res = await postJson(rt.baseUrl, '/v1/events', [event(100), { nonsense: true }, event(102)])
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ accepted: 2, rejected: 1 })
    expect(res.body.errors[0].line).toBe(2)
  })

  it('dead-letters a body that is not valid JSON at all, keeping it whole', async () => {
    const res = await postJson(rt.baseUrl, '/v1/events', '[{"eventId": 1,')
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ accepted: 0, rejected: 1 })
    expect(await count('SELECT count() AS c FROM dead_letters WHERE raw = {r:String}', { r: '[{"eventId": 1,' })).toBe(1)
  })

  it('stores a retried batch once (Idempotency-Key), in events and in the per-unit aggregates', async () => {
    const lines = Array.from({ length: 200 }, (_, i) => JSON.stringify(event(1000 + i, { metric: 'error_rate', outcome: undefined, value: 1 })))
    const headers = { 'idempotency-key': 'batch-retry-1' }
    const a = await postNdjson(lines, headers)
    const b = await postNdjson(lines, headers)
    expect(a.body.accepted).toBe(200)
    expect(b.body.accepted).toBe(200)
    expect(await count("SELECT count() AS c FROM events WHERE metric = 'error_rate' AND experiment_id = 'ing-a'")).toBe(200)
    expect(await count("SELECT sum(events) AS c FROM unit_metrics WHERE metric = 'error_rate' AND experiment_id = 'ing-a'")).toBe(200)
    // A different key is a different batch and is stored again.
    await postNdjson(lines, { 'idempotency-key': 'batch-retry-2' })
    expect(await count("SELECT count() AS c FROM events WHERE metric = 'error_rate' AND experiment_id = 'ing-a'")).toBe(400)
  })

  it('refuses an oversized batch with 413 naming the limit, storing nothing', async () => {
    const before = await count('SELECT count() AS c FROM events')
    const many = Array.from({ length: MAX_EVENTS + 1 }, (_, i) => JSON.stringify(event(5000 + i)))
    const tooMany = await postNdjson(many)
    expect(tooMany.status).toBe(413)
    expect(tooMany.body.error.message).toContain(`limit is ${MAX_EVENTS} events`)
    expect(tooMany.body.error.message).toContain('RUNWAY_INGEST_MAX_EVENTS')
    const big = await postNdjson([JSON.stringify(event(1, { attributes: { blob: 'x'.repeat(MAX_BYTES) } }))])
    expect(big.status).toBe(413)
    expect(big.body.error.message).toContain(`${MAX_BYTES} bytes`)
    expect(await count('SELECT count() AS c FROM events')).toBe(before)
  })

  it('stays up after all of that', async () => {
    const health = await getJson(rt.baseUrl, '/healthz')
    expect(health).toEqual({ status: 200, body: { ok: true } })
    const dl = await getJson(rt.baseUrl, '/v1/dead-letters?limit=5')
    expect(dl.status).toBe(200)
    expect(dl.body.deadLetters.length).toBe(5)
    expect((await getJson(rt.baseUrl, '/v1/dead-letters?limit=abc')).status).toBe(400)
  })
})
