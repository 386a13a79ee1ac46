import { describe, expect, it } from 'vitest'
import { maskText } from '../../../src/domain/pii.js'
import { mayCarryPii } from '../../../src/domain/pii-fast.js'
import { prng } from '../../support/random-scenario.js'


// Pieces the detectors look for, mixed at random: digits in runs, separators, '@', '+', ':', '.', letters, spaces.
const PIECES = ['0', '1', '4', '5', '9', '12', '555', '0151', '2001', 'db8', '192.168', '.', ':', '::', '@', '+', '-', ' ', '(', ')', '/', 'a', 'Z', 'ab.cd', 'x@y.io', 'ff', '255', 'é']

describe('mayCarryPii against maskText', () => {
  it('says no only for values maskText leaves unchanged, and says no to most short words', () => {
    const r = prng(5)
    let no = 0
    let changed = 0
    for (let i = 0; i < 50_000; i++) {
      let s = ''
      for (let n = 1 + Math.floor(r() * 12); n > 0; n--) s += PIECES[Math.floor(r() * PIECES.length)]!
      const m = maskText(s)
      if (m.masked > 0) changed++
      if (!mayCarryPii(s)) {
        expect(m.value, `"${s}"`).toBe(s)
        expect(m.masked, `"${s}"`).toBe(0)
        no++
      }
    }
    // Both sides are exercised: many values skip masking, and many generated values are PII.
    expect(no).toBeGreaterThan(5_000)
    expect(changed).toBeGreaterThan(5_000)
    for (const w of ['eu', 'us-east-1', 'checkout', 'v1.2.3', 'true', '0.5', 'Mozilla/5.0']) expect(mayCarryPii(w), w).toBe(false)
    for (const p of ['a@b.io', '4111 1111 1111 1111', '10.0.0.1', '::1', '+49 30 1234567', '555-123-4567', '030 1234567']) expect(mayCarryPii(p), p).toBe(true)
  })
})
