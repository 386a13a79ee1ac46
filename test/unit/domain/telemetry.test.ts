import { describe, expect, it } from 'vitest'
import { jsonDeeperThan, textProblem, wellFormed } from '../../../src/domain/json-limits.js'
import { TelemetryEventSchema, eventTimeMs, toEventRow, toWarehouseTime } from '../../../src/domain/telemetry.js'
import { parseWith } from '../../../src/domain/validation.js'
import { T0 } from '../../support/fixtures.js'

const base = {
  eventId: 'evt-0001',
  ts: T0,
  experimentId: 'checkout-button',
  variant: 'treatment',
  unitId: 'user-42',
  service: 'checkout-api',
  metric: 'conversion',
  value: 1,
}

const parse = (input: unknown) => parseWith(TelemetryEventSchema, input)
const pathsOf = (input: unknown) => {
  const parsed = parse(input)
  return parsed.ok ? [] : parsed.problems.map((p) => p.path)
}

describe('valid events', () => {
  it('accepts a value event and fills defaults', () => {
    const { service: _s, ...noService } = base
    expect(parse(noService)).toEqual({ ok: true, value: { ...noService, service: 'unknown', attributes: {} } })
  })

  it('accepts an outcome event', () => {
    const { value: _v, ...noValue } = base
    expect(parse({ ...noValue, outcome: false })).toMatchObject({ ok: true, value: { outcome: false } })
  })

  it('accepts an ISO-8601 time string, with offset or Z', () => {
    expect(parse({ ...base, ts: '2026-01-01T00:00:00Z' }).ok).toBe(true)
    expect(parse({ ...base, ts: '2026-01-01T01:30:00.250+01:30' }).ok).toBe(true)
  })

  it('accepts string, number and boolean attributes and negative or zero values', () => {
    const input = { ...base, value: -3.25, attributes: { country: 'DE', build: 1234, beta: true } }
    expect(parse(input)).toMatchObject({ ok: true, value: { value: -3.25, attributes: { country: 'DE', build: 1234, beta: true } } })
    expect(parse({ ...base, value: 0 }).ok).toBe(true)
  })
})

describe('value XOR outcome', () => {
  const { value: _v, ...neither } = base

  it('refuses both', () => {
    expect(parse({ ...base, outcome: true })).toEqual({ ok: false, problems: [{ path: 'value', message: 'exactly one of value or outcome is required' }] })
  })

  it('refuses neither', () => {
    expect(parse(neither)).toEqual({ ok: false, problems: [{ path: 'value', message: 'exactly one of value or outcome is required' }] })
  })

  it('refuses an outcome that is not a boolean', () => {
    expect(pathsOf({ ...neither, outcome: 1 })).toContain('outcome')
  })

  it.each([Number.NaN, Number.POSITIVE_INFINITY, '3'])('refuses value %j', (value) => {
    expect(pathsOf({ ...base, value })).toContain('value')
  })
})

describe('strictness', () => {
  it('refuses an unknown top-level field and names it', () => {
    const parsed = parse({ ...base, userEmail: 'a@b.c' })
    expect(parsed.ok).toBe(false)
    if (parsed.ok) return
    expect(parsed.problems).toHaveLength(1)
    expect(`${parsed.problems[0]!.path}: ${parsed.problems[0]!.message}`).toContain('userEmail')
  })

  it.each([
    [{ eventId: '' }, 'eventId'],
    [{ eventId: 'x'.repeat(129) }, 'eventId'],
    [{ experimentId: 'Checkout Button' }, 'experimentId'],
    [{ variant: 'B!' }, 'variant'],
    [{ unitId: '' }, 'unitId'],
    [{ metric: 'Conversion' }, 'metric'],
    [{ service: '' }, 'service'],
    [{ attributes: { nested: { a: 1 } } }, 'attributes.nested'],
    [{ attributes: { gone: null } }, 'attributes.gone'],
  ])('%j is refused at %s', (override, path) => {
    expect(pathsOf({ ...base, ...override })).toContain(path)
  })

  it.each(['eventId', 'ts', 'experimentId', 'variant', 'unitId', 'metric'])('refuses an event without %s', (field) => {
    const input: Record<string, unknown> = { ...base }
    delete input[field]
    expect(pathsOf(input)).toContain(field)
  })
})

describe('text the warehouse can store', () => {
  it.each([
    ['a lone high surrogate', { unitId: 'a\uD800' }, 'unitId', /lone UTF-16 surrogate \(U\+D800 at index 1\)/],
    ['a lone low surrogate', { eventId: '\uDFFFx' }, 'eventId', /lone UTF-16 surrogate \(U\+DFFF at index 0\)/],
    ['NUL', { service: 'a\u0000' }, 'service', /control character U\+0000/],
    ['a newline', { unitId: 'a\nb' }, 'unitId', /control character U\+000A/],
    ['DEL', { unitId: 'a\u007f' }, 'unitId', /control character U\+007F/],
    ['a C1 control', { unitId: 'a\u009b' }, 'unitId', /control character U\+009B/],
    ['in an attribute value', { attributes: { k: '\uD801' } }, 'attributes.k', /lone UTF-16 surrogate/],
    ['in an attribute key', { attributes: { ['a\tb']: 'v' } }, 'attributes', /key "a\\tb" contains control character U\+0009/],
  ])('refuses %s, naming the field', (_label, override, path, message) => {
    const parsed = parse({ ...base, ...override })
    expect(parsed.ok).toBe(false)
    if (parsed.ok) return
    expect(parsed.problems.map((p) => p.path)).toEqual([path])
    expect(parsed.problems[0]!.message).toMatch(message)
  })

  it('accepts paired surrogates (emoji), non-Latin text and U+FFFD', () => {
    expect(parse({ ...base, unitId: 'user-😀-東京-\uFFFD', attributes: { city: 'Zürich 🏔' } }).ok).toBe(true)
  })

  it('textProblem is null for ordinary text and wellFormed replaces only lone surrogates', () => {
    expect(textProblem('plain text, ünïcödé and 😀')).toBeNull()
    expect(wellFormed('a\uD800b\uD83D\uDE00\uDC00')).toBe('a\uFFFDb😀\uFFFD')
    expect(wellFormed('as is')).toBe('as is')
  })
})

describe('jsonDeeperThan', () => {
  it.each([
    ['{}', 1, false],
    ['{}', 0, true],
    ['{"a":{"b":[1]}}', 3, false],
    ['{"a":{"b":[1]}}', 2, true],
    ['[[],[],[]]', 2, false],
    ['"[[[[[[["', 1, false], // brackets inside a string do not count
    ['{"a":"\\\\"}[[[', 1, true], // an escaped backslash ends before the quote: the string closes
    ['{"a":"\\"[[[["}', 1, false], // an escaped quote keeps the string open
  ])('%s deeper than %d: %s', (text, max, expected) => {
    expect(jsonDeeperThan(text, max)).toBe(expected)
  })

  it('stops at the limit on 10,000 levels and agrees with JSON.parse on depth', () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`
    expect(jsonDeeperThan(deep, 8)).toBe(true)
    expect(jsonDeeperThan(deep, 10_000)).toBe(false)
    expect(() => JSON.parse(deep)).not.toThrow()
  })
})

describe('timestamps', () => {
  it('refuses an ISO time before 1970', () => {
    expect(pathsOf({ ...base, ts: '1969-12-31T23:59:59.999Z' })).toEqual(['ts'])
    expect(pathsOf({ ...base, ts: '0001-01-01T00:00:00Z' })).toEqual(['ts'])
    expect(parse({ ...base, ts: '1970-01-01T00:00:00Z' }).ok).toBe(true)
  })

  it.each([
    ['a fractional epoch', 1767225600000.5],
    ['a negative epoch', -1],
    ['garbage text', 'yesterday'],
    ['an empty string', ''],
    ['an impossible date', '2026-13-45T00:00:00Z'],
    ['a boolean', true],
  ])('refuses %s', (_label, ts) => {
    expect(pathsOf({ ...base, ts })).toEqual(['ts'])
  })

  it.each(['1', '12/31/2025', 'March 7, 2026'])('refuses the non-ISO string %j (the schema promises ISO-8601 or epoch ms)', (ts) => {
    expect(pathsOf({ ...base, ts })).toEqual(['ts'])
  })

  it('refuses a date-time without an offset (it would be read in the server time zone)', () => {
    expect(pathsOf({ ...base, ts: '2026-01-01T00:00:00' })).toEqual(['ts'])
    expect(pathsOf({ ...base, ts: '2026-01-01' })).toEqual(['ts'])
  })

  it('eventTimeMs reads epoch ms and ISO strings', () => {
    expect(eventTimeMs(T0)).toBe(T0)
    expect(eventTimeMs('2026-01-01T00:00:00.000Z')).toBe(T0)
    expect(eventTimeMs('2026-01-01T01:00:00+01:00')).toBe(T0)
  })

  it('toWarehouseTime renders ClickHouse DateTime64(3) text in UTC', () => {
    expect(toWarehouseTime(T0)).toBe('2026-01-01 00:00:00.000')
    expect(toWarehouseTime(T0 + 45_296_789)).toBe('2026-01-01 12:34:56.789')
    expect(toWarehouseTime(0)).toBe('1970-01-01 00:00:00.000')
  })
})

describe('toEventRow', () => {
  const received = T0 + 5_000

  it('maps a value event to a warehouse row', () => {
    const parsed = TelemetryEventSchema.parse({ ...base, value: 12.5, attributes: { country: 'DE', build: 7, beta: true } })
    expect(toEventRow(parsed, received)).toEqual({
      event_id: 'evt-0001',
      ts: '2026-01-01 00:00:00.000',
      experiment_id: 'checkout-button',
      variant: 'treatment',
      unit_id: 'user-42',
      service: 'checkout-api',
      metric: 'conversion',
      value: 12.5,
      attributes: { country: 'DE', build: '7', beta: 'true' },
      received_at: '2026-01-01 00:00:05.000',
    })
  })

  it('stores outcomes as 1 and 0', () => {
    const { value: _v, ...noValue } = base
    expect(toEventRow(TelemetryEventSchema.parse({ ...noValue, outcome: true }), received).value).toBe(1)
    expect(toEventRow(TelemetryEventSchema.parse({ ...noValue, outcome: false }), received).value).toBe(0)
  })

  it('keeps a value of 0 as 0', () => {
    expect(toEventRow(TelemetryEventSchema.parse({ ...base, value: 0 }), received).value).toBe(0)
  })

  it('normalises an ISO ts with an offset to UTC', () => {
    const row = toEventRow(TelemetryEventSchema.parse({ ...base, ts: '2026-01-01T02:00:00.123+02:00' }), received)
    expect(row.ts).toBe('2026-01-01 00:00:00.123')
  })
})
