import { describe, expect, it } from 'vitest'
import { ndjsonLines } from '../../../src/services/ingest-lines.js'
import { prng } from '../../support/random-scenario.js'

/**
 * ndjsonLines splits an NDJSON body without parsing it (ingest parses each line as it checks it). The oracle is the plain reading: split on \n, drop one trailing \r, skip
 * what trim() leaves empty, number lines as in the body.
 */
const oracle = (body: string) =>
  body
    .split('\n')
    .map((raw, i) => ({ line: i + 1, raw: raw.endsWith('\r') ? raw.slice(0, -1) : raw }))
    .filter((l) => l.raw.trim() !== '')

describe('ndjsonLines', () => {
  it('gives the lines and count of split + trim on generated bodies, blank and whitespace-only lines included', () => {
    const r = prng(16)
    const pieces = ['{"a":1}', '', ' ', '\t', '\r', '\u00a0', '\ufeff', '\u2028', ' {"b":2} ', 'x', '{"c":"\r"}', '\r\r', '{']
    for (let k = 0; k < 2_000; k++) {
      const n = Math.floor(r() * 8)
      const body = Array.from({ length: n }, () => pieces[Math.floor(r() * pieces.length)]).join(r() < 0.5 ? '\n' : '\r\n')
      const want = oracle(body)
      expect(ndjsonLines(body)).toEqual(want)
    }
  })
})
