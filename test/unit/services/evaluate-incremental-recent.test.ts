import { describe, expect, it } from 'vitest'
import { applyRecentChanges, emptyRecent, HeldRecentMismatch, recentCounts, type RecentChange } from '../../../src/services/evaluate-incremental-recent.js'
import { prng } from '../../support/random-scenario.js'

type Ev = { ts: number; variant: string }
const GATE: Record<string, string> = { u0: 'a', u1: 'a', u2: 'b', u3: 'b', u4: 'a', u5: 'c', u6: 'b', u7: 'a' }

/** misrouting-recent-batch.sql's rule on each unit's events since `since`: more than one variant, or one that is not its gate's. */
function oracle(units: Map<string, Ev[]>, since: number) {
  let recentUnits = 0
  let misrouted = 0
  for (const [u, evs] of units) {
    const vs = new Set(evs.filter((e) => e.ts >= since).map((e) => e.variant))
    if (vs.size === 0) continue
    recentUnits++
    if (vs.size > 1 || !vs.has(GATE[u]!)) misrouted++
  }
  return { recent_units: recentUnits, recent_misrouted: misrouted }
}

/** The row misrouting-recent-*.sql computes for a unit's events (no ts bound). */
function row(u: string, evs: Ev[]) {
  const last = new Map<string, number>()
  for (const e of evs) last.set(e.variant, Math.max(last.get(e.variant) ?? -Infinity, e.ts))
  const lv = [...last].map(([v, t]) => [t, v] as const).sort((a, b) => b[0] - a[0] || (a[1] < b[1] ? 1 : -1))
  return { has: lv.length > 0 ? 1 : 0, t1: lv[0]?.[0] ?? 0, t2: lv[1]?.[0] ?? 0, g1: lv.length > 0 && lv[0]![1] !== GATE[u] ? 1 : 0 }
}

describe('held recent misrouting window', () => {
  it('equals the batch rule each cycle: new units, units gaining events, switching variant, leaving the window with no event', () => {
    const rnd = prng(11)
    const units = new Map<string, Ev[]>()
    let since = 1_000
    let held = emptyRecent(since)
    const seen = { left: 0, switched: 0 }
    for (let c = 0; c < 60; c++) {
      const changes: RecentChange[] = []
      for (const u of Object.keys(GATE)) {
        if (rnd() < 0.6) continue // untouched this cycle: may leave the window by time alone
        const old = units.get(u) ?? []
        const variant = rnd() < 0.2 ? ['a', 'b', 'c'][Math.floor(rnd() * 3)]! : GATE[u]!
        const next = [...old, { ts: since + Math.floor(rnd() * 400) - 150, variant }]
        if (old.length > 0 && old.every((e) => e.variant !== variant)) seen.switched++
        units.set(u, next)
        const o = row(u, old)
        const n = row(u, next)
        changes.push({ has_old: o.has, t1_old: o.t1, t2_old: o.t2, g1_old: o.g1, has_new: n.has, t1_new: n.t1, t2_new: n.t2, g1_new: n.g1 })
      }
      const before = held.t1.length
      since += Math.floor(rnd() * 120)
      held = applyRecentChanges(held, changes, since)
      if (changes.length === 0 && held.t1.length < before) seen.left++
      expect(recentCounts(held)).toEqual(oracle(units, since))
    }
    expect(seen.left).toBeGreaterThan(0)
    expect(seen.switched).toBeGreaterThan(0)
  })

  it('refuses a window start before its floor, and an old row it does not hold', () => {
    const held = applyRecentChanges(emptyRecent(100), [{ has_old: 0, t1_old: 0, t2_old: 0, g1_old: 0, has_new: 1, t1_new: 150, t2_new: 0, g1_new: 0 }], 100)
    expect(() => applyRecentChanges(held, [], 50)).toThrow(HeldRecentMismatch)
    expect(() => applyRecentChanges(held, [{ has_old: 1, t1_old: 160, t2_old: 0, g1_old: 0, has_new: 1, t1_new: 170, t2_new: 0, g1_new: 0 }], 100)).toThrow(HeldRecentMismatch)
  })
})
