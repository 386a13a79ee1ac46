import { describe, expect, it } from 'vitest'
import { scanChars } from '../../../src/domain/telemetry-scan.js'
import { byShape } from '../../../src/domain/telemetry-scan-shape.js'
import { TelemetryEventSchema } from '../../../src/domain/telemetry.js'
import { prng } from '../../support/random-scenario.js'

/**
 * byShape keeps the last attributes text it read with its object, and the last ids, variants, metrics and
 * services as one string each, so a batch's rows share them (issue 16 item 1: fewer living objects for the
 * garbage collector). Lines come here in runs that repeat an attributes text, the case the reuse is for:
 * every answer, the verbatim flag included, must be the character loop's (scanChars keeps nothing), and a
 * shared attributes object must be frozen.
 */
const BODIES = ['', '"region":"eu"', '"region":"us"', '"n":3', '"n":3.0', '"x":1.5,"ok":true', '"x":0.14285714285714285', '"x":1e3', '"a":"b","c":false', '"9":"x"', '"a":1,"a":2']
const VALUES = ['1', '0.5', '1.0', '0.14285714285714285']

describe('byShape with shared attributes and strings', () => {
  it('answers as the character loop on runs of lines that repeat their attributes text', () => {
    const r = prng(161)
    let shared = 0
    let previous: unknown = null
    for (let k = 0; k < 20_000; k++) {
      // Mostly the body before, sometimes another one: runs of equal bodies, then a change.
      const body = r() < 0.7 && k > 0 ? BODIES[Math.floor(k / 7) % BODIES.length]! : BODIES[Math.floor(r() * BODIES.length)]!
      const exp = r() < 0.9 ? 'exp-a' : 'exp-b'
      const tail = r() < 0.5 ? `"value":${VALUES[Math.floor(r() * VALUES.length)]},"attributes":{${body}}` : `"attributes":{${body}},"outcome":${r() < 0.5}`
      const line = `{"eventId":"e-${k}","ts":${1_767_225_600_000 + k},"experimentId":"${exp}","variant":"${r() < 0.5 ? 'control' : 'treatment'}","unitId":"u-${k % 97}",${r() < 0.8 ? '"service":"checkout",' : ''}"metric":"conversion",${tail}}`
      const shaped = byShape(line)
      const chars = scanChars(line)
      if (shaped === undefined) continue
      expect(shaped).toEqual(chars)
      expect(shaped?.verbatim).toBe(chars?.verbatim)
      if (shaped !== null) {
        const attributes = shaped.event.attributes
        expect(Object.isFrozen(attributes)).toBe(true)
        if (attributes === previous) shared++
        previous = attributes
      }
    }
    // The reuse happened (else this test would prove nothing about it).
    expect(shared).toBeGreaterThan(5_000)
  })

  it('finds each value by its position: strings that spell the line separators do not move them', () => {
    // byShape finds values with indexOf after the pattern matched (a number ends at the next comma, the SDK order's
    // body at the last '},"'), so strings here hold commas and braces, in both key orders, with and without service
    // and attributes. A string cannot spell a separator itself: those hold a quote, which JSON.stringify escapes and
    // the pattern refuses (the quoted ones here are left to the loop, the first case checks that).
    const TRICKY = [',', '}', '{', ':', '},', '}}', ',1}', 'a,b}c', '', '","', '},"value":1}']
    const r = prng(167)
    let shaped = 0
    for (let k = 0; k < 5_000; k++) {
      const t = () => TRICKY[Math.floor(r() * TRICKY.length)]!
      const attributes: Record<string, unknown> = {}
      for (let n = Math.floor(r() * 3); n > 0; n--) attributes[`k${n}${t()}`] = r() < 0.7 ? t() : r() < 0.5 ? 0.25 : true
      const head = { eventId: `e${t()}${k}`, ts: 1_767_225_600_000 + k, experimentId: 'exp-a', variant: 'control', unitId: `u${t()}`, ...(r() < 0.5 ? { service: `s${t()}` } : {}), metric: 'conversion' }
      const end = r() < 0.5 ? { value: r() < 0.5 ? 1 : 0.14285714285714285 } : { outcome: r() < 0.5 }
      const e = r() < 0.5 ? { ...head, ...end, ...(r() < 0.7 ? { attributes } : {}) } : { ...head, attributes, ...end }
      const line = JSON.stringify(e)
      const got = byShape(line)
      if (got === undefined) continue
      shaped++
      expect(got, line).toEqual(scanChars(line))
      expect(got.event, line).toEqual(TelemetryEventSchema.parse(JSON.parse(line)))
    }
    expect(shaped).toBeGreaterThan(1_500)
  })
})
