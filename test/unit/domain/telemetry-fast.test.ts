import { describe, expect, it } from 'vitest'
import { fastEvent } from '../../../src/domain/telemetry-fast.js'
import { TelemetryEventSchema } from '../../../src/domain/telemetry.js'
import { prng } from '../../support/random-scenario.js'


const good = () => ({
  eventId: 'e-1', ts: 1_767_225_600_000, experimentId: 'exp-1', variant: 'control', unitId: 'u-1',
  service: 'checkout', metric: 'conversion', value: 0.5, attributes: { region: 'eu', n: 3, ok: true },
})

// Values that sit on or across the schema's edges: lengths, patterns, types, control characters, surrogates, times.
const EDGE: unknown[] = [
  '', 'a', 'A', '-a', 'a-b', 'a_b', 'a.b', '1a', 'x'.repeat(63), 'x'.repeat(64), 'x'.repeat(128), 'x'.repeat(129), 'x'.repeat(256), 'x'.repeat(257),
  'tab\there', 'nl\n', 'del\u007f', 'c1\u0085', 'lone\ud800', 'pair\ud83d\ude00', 'é', '"quote"', '\\', '__proto__', 'constructor',
  0, -1, 1.5, -0, 1e21, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, Number.NaN, Number.POSITIVE_INFINITY,
  true, false, null, undefined, [], ['a'], {}, { a: 1 }, { a: { b: 1 } }, { a: null }, { 'bad\u0001': 'x' }, { k: 'v\u0000' }, { __proto__: null, a: 'b' },
  '2026-01-05T10:00:00.000Z', '2026-01-05T10:00Z', '2026-01-05T10:00:00+05:30', '2026-01-05T10:00:00+0530', '2026-13-45T10:00:00Z', '1969-12-31T23:59:59Z',
  '2026-01-05 10:00:00Z', '2026-01-05T10:00:00', '2026-01-05T10:00:00.1234567890Z',
]
const FIELDS = ['eventId', 'ts', 'experimentId', 'variant', 'unitId', 'service', 'metric', 'value', 'outcome', 'attributes', 'extra']

function mutate(r: () => number): unknown {
  const e: Record<string, unknown> = good()
  if (r() < 0.3) {
    delete e.value
    e.outcome = r() < 0.5
  }
  const n = Math.floor(r() * 4)
  for (let i = 0; i < n; i++) {
    const f = FIELDS[Math.floor(r() * FIELDS.length)]!
    if (r() < 0.15) delete e[f]
    else if (f === 'attributes' && r() < 0.5 && typeof e.attributes === 'object' && e.attributes !== null) {
      const keys = EDGE.filter((x): x is string => typeof x === 'string')
      ;(e.attributes as Record<string, unknown>)[keys[Math.floor(r() * keys.length)]!] = EDGE[Math.floor(r() * EDGE.length)]
    }
    else e[f] = EDGE[Math.floor(r() * EDGE.length)]
  }
  // Through JSON as ingest sees it, now and then: no undefined, no prototypes, no NaN.
  return r() < 0.5 ? JSON.parse(JSON.stringify(e)) : e
}

describe('fastEvent against TelemetryEventSchema', () => {
  it('accepts only what the schema accepts, with the schema output; and takes the usual event', () => {
    const r = prng(16)
    let fast = 0
    let zodOnly = 0
    for (let i = 0; i < 20_000; i++) {
      const input = mutate(r)
      const f = fastEvent(input)
      const z = TelemetryEventSchema.safeParse(input)
      if (f !== null) {
        expect(z.success, `case ${i}: fast accepted what the schema refuses: ${JSON.stringify(input)}`).toBe(true)
        // toEqual: zod keeps a key given as undefined (`outcome: undefined`), which nothing downstream can tell apart.
        expect(f, `case ${i}: ${JSON.stringify(input)}`).toEqual(z.data)
        fast++
      } else if (z.success) zodOnly++
    }
    // Both sides are exercised: the fast path takes most good inputs, the schema sees every bad one.
    expect(fast).toBeGreaterThan(2_000)
    expect(zodOnly).toBeLessThan(fast / 10)
  })

  it('takes the events the SDK and the benchmarks send', () => {
    const e = good()
    expect(fastEvent(JSON.parse(JSON.stringify(e)))).toStrictEqual(TelemetryEventSchema.parse(e))
    const iso = { ...e, ts: '2026-01-05T10:00:00.000Z', service: undefined, attributes: undefined, value: undefined, outcome: false }
    expect(fastEvent(JSON.parse(JSON.stringify(iso)))).toStrictEqual(TelemetryEventSchema.parse(JSON.parse(JSON.stringify(iso))))
  })
})
