import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MASKED_FIELD, maskText } from '../../src/domain/pii.js'
import { PolicyConfigSchema } from '../../src/domain/policy-config.js'
import { type Embedded, T0, postJson, specBody, startEmbedded } from '../support/embedded.js'
import { NEAR_MISSES, PII_CORPUS } from '../support/pii-corpus.js'

const policy = PolicyConfigSchema.parse({
  defaults: { data: { piiFields: ['customer_name'] } },
  namespaces: { strict: { data: { allowAttributes: ['country', 'note'] } } },
})

let rt: Embedded
beforeAll(async () => {
  rt = await startEmbedded({ config: { policy } })
  expect((await postJson(rt.baseUrl, '/v1/experiments', specBody({ id: 'pii-a', layer: 'pii-a' }))).status).toBe(201)
  expect((await postJson(rt.baseUrl, '/v1/experiments', specBody({ id: 'pii-strict', namespace: 'strict', layer: 'pii-s' }))).status).toBe(201)
})
afterAll(async () => {
  await rt.stop()
  rt.cleanup()
})

let n = 0
const event = (experimentId: string, attributes: Record<string, string | number | boolean>) => ({
  eventId: `pii-${++n}`,
  ts: T0 + n,
  experimentId,
  variant: n % 2 ? 'control' : 'treatment',
  unitId: `unit-${n}`,
  metric: 'conversion',
  outcome: true,
  attributes,
})

async function ingest(events: unknown[]) {
  const res = await fetch(`${rt.baseUrl}/v1/events`, { method: 'POST', body: events.map((e) => JSON.stringify(e)).join('\n'), headers: { 'content-type': 'application/x-ndjson' } })
  expect(res.status).toBe(200)
  return (await res.json()) as { batchId: string; accepted: number; rejected: number; masked: number; dropped: number }
}

const storedAttributes = async (experiment: string) =>
  (await rt.runtime.warehouse.select<{ event_id: string; attributes: Record<string, string> }>('SELECT event_id, attributes FROM events WHERE experiment_id = {e:String} ORDER BY event_id', { e: experiment }))

// UInt64 comes back as a number or a string depending on the adapter: compare numbers.
const counters = async (batchId: string) => {
  const [row] = await rt.runtime.warehouse.select<{ masked: string; dropped: string }>('SELECT sum(masked) AS masked, sum(dropped) AS dropped FROM ingest_masking WHERE batch_id = {b:String}', { b: batchId })
  return { masked: Number(row!.masked), dropped: Number(row!.dropped) }
}

describe('PII masking at ingest', () => {
  it('stores no attribute value that any detector matches, and counts what it masked', async () => {
    const events = [
      ...PII_CORPUS.map(([text]) => event('pii-a', { note: text, country: 'DE' })),
      event('pii-a', { customer_name: 'Dana Scully', plan: 'pro' }),
      event('pii-a', { email: 'fox@example.com', phone: '+1 202 555 0143', card: '4111 1111 1111 1111', ip: '2001:db8::7' }),
      event('pii-a', { CUSTOMER_NAME: 'Walter Skinner' }), // configured fields match whatever their case
    ]
    const expectedMasked = PII_CORPUS.reduce((s, [text]) => s + maskText(text).masked, 0) + 1 + 4 + 1
    const res = await ingest(events)
    expect(res).toMatchObject({ accepted: events.length, rejected: 0, masked: expectedMasked, dropped: 0 })
    expect(res.masked).toBeGreaterThanOrEqual(PII_CORPUS.length + 6)

    const stored = await storedAttributes('pii-a')
    expect(stored).toHaveLength(events.length)
    for (const row of stored) {
      for (const [key, value] of Object.entries(row.attributes)) {
        expect(maskText(value).masked, `${row.event_id}.${key} = ${value}`).toBe(0)
      }
    }
    const all = stored.flatMap((r) => Object.values(r.attributes))
    for (const [text] of PII_CORPUS) expect(all).not.toContain(text)
    expect(all.filter((v) => v === MASKED_FIELD)).toHaveLength(2)
    expect(all).toContain('pro') // other attributes stay
    expect(await counters(res.batchId)).toEqual({ masked: expectedMasked, dropped: 0 })
  })

  it('leaves look-alikes untouched and records no counter row for a clean batch', async () => {
    const events = NEAR_MISSES.map((text) => event('pii-a', { note: text }))
    const res = await ingest(events)
    expect(res).toMatchObject({ accepted: events.length, masked: 0, dropped: 0 })
    const stored = await rt.runtime.warehouse.select<{ note: string }>(
      "SELECT attributes['note'] AS note FROM events WHERE experiment_id = 'pii-a' AND event_id IN {ids:Array(String)} ORDER BY toUInt32(substring(event_id, 5))",
      { ids: events.map((e) => e.eventId) as unknown as string },
    )
    expect(stored.map((r) => r.note)).toEqual(NEAR_MISSES)
    const rows = await rt.runtime.warehouse.select('SELECT * FROM ingest_masking WHERE batch_id = {b:String}', { b: res.batchId })
    expect(rows).toEqual([])
  })

  it('drops attributes off the namespace allow-list, masks what it keeps, and counts both', async () => {
    const res = await ingest([
      event('pii-strict', { country: 'FR', note: 'call +33 6 12 34 56 78', browser: 'firefox', customer_name: 'x' }),
      event('pii-strict', { country: 'DE', referrer: 'https://example.com' }),
    ])
    expect(res).toMatchObject({ accepted: 2, masked: 1, dropped: 3 })
    const stored = await storedAttributes('pii-strict')
    expect(stored.map((r) => r.attributes)).toEqual([{ country: 'FR', note: 'call [phone]' }, { country: 'DE' }])
    expect(await counters(res.batchId)).toEqual({ masked: 1, dropped: 3 })
  })

  it('counts per experiment in one mixed batch; a refused line is dead-lettered as before', async () => {
    const res = await ingest([
      event('pii-a', { note: 'a@example.com b@example.com' }),
      event('pii-strict', { extra: '1' }),
      { ...event('pii-a', {}), variant: 'ghost' },
    ])
    expect(res).toMatchObject({ accepted: 2, rejected: 1, masked: 2, dropped: 1 })
    const rows = await rt.runtime.warehouse.select<{ experiment_id: string; masked: string; dropped: string }>(
      'SELECT experiment_id, masked, dropped FROM ingest_masking WHERE batch_id = {b:String} ORDER BY experiment_id',
      { b: res.batchId },
    )
    expect(rows.map((r) => [r.experiment_id, Number(r.masked), Number(r.dropped)])).toEqual([
      ['pii-a', 2, 0],
      ['pii-strict', 0, 1],
    ])
    const dead = await rt.runtime.warehouse.select<{ reason: string }>('SELECT reason FROM dead_letters WHERE batch_id = {b:String}', { b: res.batchId })
    expect(dead.map((d) => d.reason)).toEqual([expect.stringContaining('no variant "ghost"')])
  })
})
