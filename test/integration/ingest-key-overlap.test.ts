import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { type Embedded, T0, postJson, specBody, startEmbedded } from '../support/embedded.js'

/**
 * A keyed batch is validated while its key is looked up (src/services/ingest-idempotency.ts).
 * The answers must be those of lookup first, then validate and store: a reused key is refused
 * (409) even when the new body would also be refused for itself, and a body refused before
 * storing records nothing under its key.
 */
let rt: Embedded
const MAX_EVENTS = 10

beforeAll(async () => {
  rt = await startEmbedded({ config: { ingest: { ...loadConfig({}).ingest, maxEvents: MAX_EVENTS } } })
  expect((await postJson(rt.baseUrl, '/v1/experiments', specBody({ id: 'key-a' }))).status).toBe(201)
})
afterAll(async () => {
  await rt.stop()
  rt.cleanup()
})

const line = (i: number) => JSON.stringify({ eventId: `k-${i}`, ts: T0 + i, experimentId: 'key-a', variant: 'control', unitId: `u-${i}`, metric: 'conversion', value: 1 })
const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => line(from + i)).join('\n')
async function post(body: string, key: string) {
  const res = await fetch(`${rt.baseUrl}/v1/events`, { method: 'POST', body, headers: { 'content-type': 'application/x-ndjson', 'idempotency-key': key } })
  return { status: res.status, body: (await res.json()) as any }
}
const stored = async () => Number((await rt.runtime.warehouse.select<{ c: string }>("SELECT count() AS c FROM events WHERE experiment_id = 'key-a'"))[0]!.c)

describe('keyed batches validated during the key lookup', () => {
  it('answers a reused key before the new body is judged, and records nothing for a refused body', async () => {
    const first = await post(lines(0, 5), 'key-1')
    expect(first.status).toBe(200)
    expect(first.body.accepted).toBe(5)
    // Another body under the used key: 409, although this body is also over the event limit (413 on its own).
    const reused = await post(lines(100, MAX_EVENTS + 1), 'key-1')
    expect(reused.status).toBe(409)
    expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED')
    // The same body again: the recorded answer, stored once.
    const retry = await post(lines(0, 5), 'key-1')
    expect(retry.status).toBe(200)
    expect(retry.body).toEqual(first.body)
    expect(await stored()).toBe(5)
    // A new key whose body is refused records nothing: the key then takes a good body.
    const tooMany = await post(lines(200, MAX_EVENTS + 1), 'key-2')
    expect(tooMany.status).toBe(413)
    expect(await stored()).toBe(5)
    const good = await post(lines(300, 3), 'key-2')
    expect(good.status).toBe(200)
    expect(good.body.accepted).toBe(3)
    expect(await stored()).toBe(8)
  })
})
