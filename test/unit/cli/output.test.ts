import { describe, expect, it } from 'vitest'
import { clip, table } from '../../../src/cli/output.js'

describe('clip', () => {
  const reason = 'rollback: error_rate 0.007353 → 0.04209 in ranker-v2 (effect 0.03473, harm test msprt p=0.0265, Holm-adjusted 0.0265 < α=0.05)'

  it('returns text that fits unchanged', () => {
    expect(clip('pause: telemetry stale', 100)).toBe('pause: telemetry stale')
    expect(clip('x'.repeat(100), 100)).toBe('x'.repeat(100))
  })

  it('cuts at a word boundary, never inside a number, within the width', () => {
    for (let max = 20; max < reason.length; max++) {
      const out = clip(reason, max)
      expect(out.length).toBeLessThanOrEqual(max)
      expect(out.endsWith('…')).toBe(true)
      const kept = out.slice(0, -1)
      expect(reason.startsWith(kept)).toBe(true)
      // The next character of the original is a space or a separator: no word (or number) was split.
      expect([' ', ',', '(', ';']).toContain(reason[kept.length])
    }
    expect(clip(reason, 100)).toBe('rollback: error_rate 0.007353 → 0.04209 in ranker-v2 (effect 0.03473, harm test msprt p=0.0265…')
  })

  it('cuts a single long word hard when there is no space to cut at', () => {
    expect(clip('abcdefghij', 5)).toBe('abcd…')
  })
})

describe('table', () => {
  it('aligns columns to the widest cell', () => {
    expect(table(['A', 'BB'], [['xxx', 1]]).split('\n')).toEqual(['A    BB', '---  --', 'xxx  1'])
  })
})
