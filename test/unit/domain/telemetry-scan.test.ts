import { describe, expect, it } from 'vitest'
import { scanChars, scanEvent, scanLine } from '../../../src/domain/telemetry-scan.js'
import { byShape } from '../../../src/domain/telemetry-scan-shape.js'
import { TelemetryEventSchema } from '../../../src/domain/telemetry.js'
import { prng } from '../../support/random-scenario.js'


const good = (): Record<string, unknown> => ({
  eventId: 'e-1', ts: 1_767_225_600_000, experimentId: 'exp-1', variant: 'control', unitId: 'u-1',
  service: 'checkout', metric: 'conversion', value: 0.5, attributes: { region: 'eu', n: 3, ok: true },
})
const EDGE: unknown[] = [
  '', 'a', '-a', 'a_b', 'a.b', '1a', 'x'.repeat(63), 'x'.repeat(64), 'x'.repeat(128), 'x'.repeat(129), 'x'.repeat(257),
  'tab\there', 'nl\n', 'del\u007f', 'c1\u0085', 'lone\ud800', 'lo\udc00w', 'pair\ud83d\ude00', 'é', '"quote"', '\\', '__proto__', 'constructor', '7', '0x',
  0, -1, 1.5, -0, 123_456_789_012_345, 999_999_999_999_999, 1_234_567_890_123_456, 9_007_199_254_740_993, 1e21, 1e-7, 0.1 + 0.2, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, true, false, null, [], ['a'], {}, { a: 1 }, { a: { b: 1 } }, { a: null },
  '2026-01-05T10:00:00.000Z', '2026-01-05T10:00Z', '2026-01-05T10:00:00+05:30', '2026-13-45T10:00:00Z', '1969-12-31T23:59:59Z', '2026-01-05T10:00:00',
]
const FIELDS = ['eventId', 'ts', 'experimentId', 'variant', 'unitId', 'service', 'metric', 'value', 'outcome', 'attributes', 'extra']
const pick = <T>(r: () => number, xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!

/** Text-level changes JSON.stringify never makes: whitespace, key order, duplicates, escapes, number spellings, junk. */
const TEXT_EDITS: Array<(s: string, r: () => number) => string> = [
  (s) => s.replace(/,/g, ' ,\n\t'),
  (s) => ` ${s.replace(/:/g, ': ')} \r`,
  (s) => s.replace('"eventId"', '"ev\\u0065ntId"'),
  (s) => s.replace('"u-1"', '"u\\n1"'),
  (s) => s.replace(/"value":0\.5/, '"value":0.50'),
  (s) => s.replace(/"value":0\.5/, '"value":5e-1'),
  (s) => s.replace(/"value":0\.5/, '"value":05'),
  (s) => s.replace(/"n":3/, '"n":3.0'),
  (s) => s.replace(/"n":3/, '"n":-0'),
  (s) => s.replace(/"ts":(\d+)/, '"ts":$1.0'),
  (s) => s.replace(/"ts":(\d+)/, '"ts":1.767e12'),
  (s) => s.replace('{', '{"value":1,'),
  (s) => s.replace('"region":"eu"', '"region":"eu","region":"us"'),
  (s) => s.replace('"region"', '"9"'),
  (s) => s.replace('"region"', '"__proto__"'),
  // Keys that share letters with event keys, matched in place by the scan: every one is refused as the schema refuses it.
  (s, r) => s.replace(/"(eventId|experimentId|variant|value|ts|unitId|service|metric|outcome|attributes)"/, (_, k: string) => `"${pick(r, [k.slice(0, -1), `${k}x`, `${k[0]}`, k.toUpperCase(), `${k.slice(0, 2)}${k.slice(3)}`, 'values', 'variants', 'experimentI', 'eventID'])}"`),
  (s) => s.replace(/"ts":(\d+)/, '"ts":1234567890123456'),
  (s) => s.replace(/"ts":(\d+)/, '"ts":123456789012345'),
  (s) => `${s}x`,
  (s) => `\ufeff${s}`,
  (s) => s.slice(0, -1),
  (s, r) => {
    // Another key order, as other senders write it.
    let o: Record<string, unknown>
    try {
      o = JSON.parse(s) as Record<string, unknown>
    } catch {
      return s
    }
    if (typeof o !== 'object' || o === null) return s
    const keys = Object.keys(o).sort(() => r() - 0.5)
    return JSON.stringify(Object.fromEntries(keys.map((k) => [k, o[k]])))
  },
]

function line(r: () => number): string {
  const e = good()
  if (r() < 0.3) {
    delete e.value
    e.outcome = r() < 0.5
  }
  for (let n = Math.floor(r() * 3); n > 0; n--) {
    const f = pick(r, FIELDS)
    if (r() < 0.15) delete e[f]
    else if (f === 'attributes' && r() < 0.5 && typeof e.attributes === 'object' && e.attributes !== null && !Array.isArray(e.attributes)) (e.attributes as Record<string, unknown>)[pick(r, EDGE.filter((x): x is string => typeof x === 'string'))] = pick(r, EDGE)
    else e[f] = pick(r, EDGE)
  }
  let s = JSON.stringify(e)
  for (let n = r() < 0.5 ? 0 : 1 + Math.floor(r() * 2); n > 0; n--) s = pick(r, TEXT_EDITS)(s, r)
  return s
}

describe('scanEvent against JSON.parse and TelemetryEventSchema', () => {
  it('accepts only lines the schema accepts, with its output and its attribute order; and takes the usual line', () => {
    const r = prng(23)
    let scanned = 0
    let verbatim = 0
    let schemaOnly = 0
    let shapedCount = 0
    for (let i = 0; i < 20_000; i++) {
      const text = line(r)
      let parsed: unknown
      let parses = true
      try {
        parsed = JSON.parse(text)
      } catch {
        parses = false
      }
      const z = parses ? TelemetryEventSchema.safeParse(parsed) : null
      const s = scanLine(text)
      // Both readers on their own: the usual shape's pattern (undefined: not its shape), and the character loop.
      const shaped = byShape(text)
      const chars = scanChars(text)
      for (const [how, got] of [['scanLine', s], ['byShape', shaped], ['scanChars', chars]] as const) {
        if (got === null || got === undefined) continue
        expect(z?.success, `case ${i}: ${how} read what JSON.parse or the schema refuses: ${text}`).toBe(true)
        expect(got.event, `case ${i}: ${how}: ${text}`).toEqual(z!.data)
        expect(Object.keys(got.event.attributes), `case ${i}: ${how}: ${text}`).toEqual(Object.keys(z!.data!.attributes))
        expect(text[got.open]).toBe('{')
        if (got.verbatim) {
          // What the engine reads from the text: ts in digits, every number spelled as String(n) (so no exponent, no "0.50").
          expect(text, `case ${i}: ${how}`).not.toMatch(/"ts":\s*"/)
          for (const m of text.matchAll(/":\s*(-?[\d.eE+-]+)\s*[,}]/g)) expect(String(Number(m[1])), `case ${i}: ${how}: ${text}`).toBe(m[1])
        }
      }
      // Where the pattern answers, it answers as the loop does (the verbatim flag too).
      if (shaped !== undefined) {
        shapedCount++
        expect(shaped, `case ${i}: ${text}`).toEqual(chars)
      }
      if (s !== null) {
        if (s.verbatim) verbatim++
        scanned++
      } else if (z?.success) schemaOnly++
    }
    expect(scanned).toBeGreaterThan(3_000)
    expect(shapedCount).toBeGreaterThan(2_000)
    expect(verbatim).toBeGreaterThan(1_000)
    // The schema still sees every odd line the scan leaves to it, but not most good ones.
    expect(schemaOnly).toBeLessThan(scanned)
  })

  it('takes the events the SDK and the benchmarks send, verbatim', () => {
    const e = { eventId: 'bi-x-1', ts: Date.UTC(2026, 0, 5), experimentId: 'bi-x', variant: 'treatment', unitId: 'u-7', service: 'checkout', metric: 'conversion', value: 1 / 7, attributes: { region: 'eu' } }
    expect(scanLine(JSON.stringify(e))).toEqual({ event: TelemetryEventSchema.parse(e), verbatim: true, open: 0 })
    const iso = { ...e, ts: '2026-01-05T10:00:00.000Z', value: undefined, outcome: false }
    expect(scanLine(JSON.stringify(iso))).toEqual({ event: TelemetryEventSchema.parse(JSON.parse(JSON.stringify(iso))), verbatim: false, open: 0 })
    expect(scanEvent('{"eventId":"a","ts":1,"experimentId":"x","variant":"v","unitId":"u","metric":"m","value":1,"extra":1}')).toBeNull()
    // A long line (here 1,500 attributes, over 16 KB) is left by the pattern to the loop, which reads it all the same.
    const long = { ...e, attributes: Object.fromEntries(Array.from({ length: 1_500 }, (_, k) => [`k${k}`, k % 2 ? `v${k}` : k / 7])) }
    expect(byShape(JSON.stringify(long))).toBeUndefined()
    expect(scanLine(JSON.stringify(long))).toEqual({ event: TelemetryEventSchema.parse(long), verbatim: true, open: 0 })
    // An attribute named __proto__ would set the object's prototype if assigned: left to JSON.parse and the schema.
    for (const read of [scanLine, scanChars]) expect(read('{"eventId":"a","ts":1,"experimentId":"x","variant":"v","unitId":"u","metric":"m","value":1,"attributes":{"__proto__":"x"}}')).toBeNull()
  })
})

describe('numbers read while scanning', () => {
  it('gives Number(text) for digits-only numbers of 1 to 20 digits, in value, ts and attributes', () => {
    const r = prng(29)
    for (let i = 0; i < 5_000; i++) {
      const digits = 1 + Math.floor(r() * 20)
      let text = String(1 + Math.floor(r() * 9))
      while (text.length < digits) text += String(Math.floor(r() * 10))
      const n = Number(text)
      for (const read of [scanLine, scanChars]) {
        const ts = read(`{"eventId":"e","ts":${text},"experimentId":"x","variant":"v","unitId":"u","metric":"m","value":1}`)
        if (Number.isSafeInteger(n)) expect(ts?.event.ts, `case ${i}: ${text}`).toBe(n)
        else expect(ts, `case ${i}: ts ${text} is not a safe integer`).toBeNull()
        const s = read(`{"eventId":"e","ts":1,"experimentId":"x","variant":"v","unitId":"u","metric":"m","value":${text},"attributes":{"n":${text}}}`)
        expect(s?.event.value, `case ${i}: ${text}`).toBe(n)
        expect(s?.event.attributes.n, `case ${i}: ${text}`).toBe(n)
        expect(s?.verbatim, `case ${i}: ${text}`).toBe(String(n) === text)
      }
    }
  })
})

describe('decimal numbers read while scanning', () => {
  /** A JSON number text: sign, integer part, fraction (leading and trailing zeros), exponent; some spelled as JS writes them. */
  function decimal(r: () => number): string {
    if (r() < 0.2) return String(pick(r, [Math.floor(r() * 1000) / 7, r(), r() * 1e6, -r() / 1000, 0.1 + 0.2, 1e-6, 1e-7, 123456.789, 1 / 3]))
    const digits = (n: number, lead = false) => Array.from({ length: n }, (_, k) => String(k === 0 && lead ? 1 + Math.floor(r() * 9) : Math.floor(r() * 10))).join('')
    const int = r() < 0.4 ? '0' : digits(1 + Math.floor(r() * 17), true)
    const fraction = r() < 0.15 ? '' : `.${'0'.repeat(r() < 0.4 ? Math.floor(r() * 9) : 0)}${digits(1 + Math.floor(r() * 17))}${r() < 0.2 ? '0' : ''}`
    const exponent = r() < 0.1 ? `e${pick(r, ['', '+', '-'])}${Math.floor(r() * 30)}` : ''
    return `${r() < 0.3 ? '-' : ''}${int}${fraction}${exponent}`
  }

  it('gives Number(text), and is verbatim exactly when the text is String(n) in plain form, for values drawn again and again', () => {
    const r = prng(31)
    // A small pool drawn from many times: a batch repeats its values, so repeats are checked as well as first sightings.
    const pool = Array.from({ length: 300 }, () => decimal(r))
    let plain = 0
    for (let i = 0; i < 20_000; i++) {
      const text = i < pool.length ? pool[i]! : pick(r, pool)
      const n = Number(text)
      // What the engine may read from the text itself: the text JS writes for the value, without exponent or sign-only integer.
      const expected = String(n) === text && /^(\d+|-?\d+\.\d+)$/.test(text)
      if (expected) plain++
      // The usual shape (read by the pattern), the SDK's key order, and one with whitespace (read by the loop).
      for (const line of [
        `{"eventId":"e","ts":1,"experimentId":"x","variant":"v","unitId":"u","metric":"m","value":${text},"attributes":{"n":${text}}}`,
        `{"eventId":"e","ts":1,"experimentId":"x","variant":"v","unitId":"u","service":"s","metric":"m","attributes":{"a":"b","n":${text}},"value":${text}}`,
        `{ "eventId":"e","ts":1,"experimentId":"x","variant":"v","unitId":"u","metric":"m","value":${text},"attributes":{"n":${text}}}`,
      ]) {
        const s = scanLine(line)
        if (!Number.isFinite(n)) {
          expect(s, `case ${i}: ${text}`).toBeNull()
          continue
        }
        expect(Object.is(s?.event.value, n), `case ${i}: value of ${text} is ${s?.event.value}, not ${n}`).toBe(true)
        expect(Object.is(s?.event.attributes.n, n), `case ${i}: attribute ${text}`).toBe(true)
        expect(s?.verbatim, `case ${i}: ${text} in ${line}`).toBe(expected)
      }
    }
    expect(plain).toBeGreaterThan(2_000)
  })
})
