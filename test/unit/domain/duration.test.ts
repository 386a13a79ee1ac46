import { describe, expect, it } from 'vitest'
import { Duration, formatDuration, parseDuration } from '../../../src/domain/duration.js'
import { parseWith } from '../../../src/domain/validation.js'

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['90s', 90_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1w', 604_800_000],
    ['1d12h', 129_600_000],
    ['1h30m', 5_400_000],
    ['2h15m30s', 8_130_000],
    ['1.5h', 5_400_000],
    ['0s', 0],
    ['  15m  ', 900_000],
    ['1m500ms', 60_500],
  ])('%j → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms)
  })

  it.each([
    [0, 0],
    [1, 1_000],
    [90, 90_000],
    [1.5, 1_500],
    [86_400, 86_400_000],
  ])('the number %d is seconds → %d ms', (seconds, ms) => {
    expect(parseDuration(seconds)).toBe(ms)
  })

  it.each(['', '   ', '15', 'abc', '15 m', '1h 30m', '15M', '2H', '-5m', 'm', '1.h', '.5h', '1y', '5min', '1h-30m', '1e3s'])('%j is invalid', (text) => {
    expect(parseDuration(text)).toBeNull()
  })

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('the number %d is invalid', (n) => {
    expect(parseDuration(n)).toBeNull()
  })
})

describe('formatDuration', () => {
  it.each([
    [0, '0ms'],
    [250, '250ms'],
    [999, '999ms'],
    [1_000, '1s'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
    [5_400_000, '1h30m'],
    [86_400_000, '1d'],
    [129_600_000, '1d12h'],
    [90_061_000, '1d1h1m1s'],
    [604_800_000, '7d'],
  ])('%d ms → %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
  })

  it('rounds to whole seconds above one second', () => {
    expect(formatDuration(1_400)).toBe('1s')
    expect(formatDuration(61_600)).toBe('1m2s')
  })

  it.each(['90s', '15m', '2h', '1d12h', '2d3h4m5s'])('parse(format(parse(%j))) is stable', (text) => {
    const ms = parseDuration(text)!
    expect(parseDuration(formatDuration(ms))).toBe(ms)
  })
})

describe('Duration schema', () => {
  it('yields milliseconds from strings and seconds', () => {
    expect(parseWith(Duration, '15m')).toEqual({ ok: true, value: 900_000 })
    expect(parseWith(Duration, 30)).toEqual({ ok: true, value: 30_000 })
  })

  it('refuses bad strings with a message that quotes the input and shows examples', () => {
    const parsed = parseWith(Duration, 'fortnight')
    expect(parsed.ok).toBe(false)
    if (parsed.ok) return
    expect(parsed.problems).toHaveLength(1)
    expect(parsed.problems[0]!.message).toContain('"fortnight"')
    expect(parsed.problems[0]!.message).toContain('15m')
  })

  it.each([-3, true, null, {}])('refuses %j', (value) => {
    expect(parseWith(Duration, value).ok).toBe(false)
  })
})
