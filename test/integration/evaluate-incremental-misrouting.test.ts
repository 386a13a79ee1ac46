import { describe, expect, it } from 'vitest'
import type { ExperimentSpecInput } from '../../src/domain/experiment.js'
import type { ExperimentRecord } from '../../src/domain/experiment-record.js'
import { toWarehouseTime } from '../../src/domain/telemetry.js'
import { readEvaluationBatch } from '../../src/services/evaluate-batch.js'
import { IncrementalEvaluationReader } from '../../src/services/evaluate-incremental.js'
import { HOUR, MINUTE, T0, runningRecord, specFixture } from '../support/fixtures.js'
import { migratedWarehouse } from '../support/migrated-warehouse.js'
import { prng } from '../support/random-scenario.js'

/**
 * Misrouting through the incremental reader (cumulative units and misrouted held per experiment and
 * assignment, moved by the touched units; the recent window held too, since the fourth pass: units
 * leave it by time alone) against the full batch
 * query (misrouting-summary-batch.sql via readEvaluationBatch) after each of six rounds, exactly (they
 * are counts). The data makes every way a unit's status can change between rounds: a unit first
 * logged under its gate's variant and later under a second one (misrouted from then on), a unit whose
 * later events all go to its gate's variant (stays as it was), units outside the exposure (misrouted
 * while the exposure is 30%, not after the ramp to 100%: the held counts are of the old assignment
 * and must be read again), a variant that is not the experiment's, and units whose last event falls
 * out of the 1h recent window as the rounds go by.
 */
const wh = migratedWarehouse('runway-evaluate-incremental-misrouting-')
const GRACE = 2_000
const ROUNDS = 6
const roundEnd = (r: number) => T0 + 6 * HOUR + r * 20 * MINUTE
const v = (...names: string[]) => names.map((name) => ({ name, weight: 100 / names.length }))
const metrics = { primary: { name: 'revenue', direction: 'increase' as const }, guardrails: [{ name: 'error_rate', type: 'proportion' as const, direction: 'decrease' as const }] }
const specs: Array<Partial<ExperimentSpecInput>> = [
  { id: 'm-two', variants: v('control', 'treatment'), rollout: { steps: [{ exposure: 100, minDuration: '1h' }] }, metrics },
  { id: 'm-ramp', variants: v('control', 'b', 'c'), rollout: { steps: [{ exposure: 30, minDuration: '1h' }, { exposure: 100, minDuration: '1h' }] }, metrics },
  { id: 'm-uneven', variants: [{ name: 'control', weight: 10 }, { name: 'b', weight: 90 }], rollout: { steps: [{ exposure: 60, minDuration: '1h' }] }, metrics },
]
const base: ExperimentRecord[] = specs.map((s) => runningRecord(specFixture(s), { startedAt: T0 }))
const rnd = prng(20_261_205)

function roundEvents(r: number): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = []
  for (const rec of base) {
    const names = rec.spec.variants.map((x) => x.name)
    for (let u = 0; u < 150; u++) {
      if (rnd() < 0.55) continue
      // Some units are logged in the first rounds only: they leave the recent window later.
      if (u % 10 === 0 && r > 2) continue
      const k = (u * 3 + rec.spec.id.length) % names.length
      let variant = names[k]!
      if (u % 13 === 0 && r >= 3) variant = names[(k + 1) % names.length]!
      if (u % 29 === 0 && r === 4) variant = 'not-a-variant'
      const ts = roundEnd(r) - Math.floor(rnd() * (u % 7 === 0 ? 5 * HOUR : 30 * MINUTE))
      out.push({ event_id: `m${r}-${out.length}`, ts: toWarehouseTime(ts), experiment_id: rec.spec.id, variant, unit_id: `u${u}`, service: 'svc', metric: 'revenue', value: rnd(), attributes: {}, received_at: toWarehouseTime(roundEnd(r - 1) + 1 + Math.floor(rnd() * (roundEnd(r) - roundEnd(r - 1) - GRACE))) })
    }
  }
  return out
}

describe('misrouting through the incremental reader against the full batch query', () => {
  it('gives the same counts after every round, across a ramp, from increments after the first', { timeout: 240_000 }, async () => {
    const warehouse = wh()
    const reader = new IncrementalEvaluationReader(warehouse, { graceMs: GRACE, rebaseMs: 24 * HOUR })
    const seen: Array<Record<string, number>> = []
    const recentSeen: Array<Record<string, { units: number; misrouted: number }>> = []
    for (let r = 1; r <= ROUNDS; r++) {
      await warehouse.insert('events', roundEvents(r))
      const now = roundEnd(r)
      // m-ramp goes to 100% exposure at round 4: the gate's assignment changes under the held counts.
      const records = base.map((x) => (x.spec.id === 'm-ramp' && r >= 4 ? { ...x, step: 1 } : x))
      const queries: string[] = []
      const got = await reader.read(records, { now, onQuery: (name) => queries.push(name) })
      const expected = await readEvaluationBatch(warehouse, records, { now })
      for (const rec of records) expect(got.get(rec.spec.id)!.misrouting, `${rec.spec.id}, round ${r}`).toEqual(expected.get(rec.spec.id)!.misrouting)
      expect(queries).not.toContain('misrouting-summary-batch')
      expect(queries).not.toContain('misrouting-recent-batch')
      expect(queries.filter((q) => q === 'misrouting-recent-incremental').length).toBe(r === 1 ? 0 : 1)
      expect(queries.filter((q) => q === 'misrouting-recent-base').length).toBe(r === 1 || r === 4 ? 1 : 0)
      recentSeen.push(Object.fromEntries(records.map((x) => [x.spec.id, expected.get(x.spec.id)!.misrouting.recent!])))
      // A base at the first round, then one increment per cycle; at round 4 m-ramp's base (its new assignment) beside the others' increment.
      expect(queries.filter((q) => q === 'misrouting-summary-incremental').length).toBe(r === 1 ? 0 : 1)
      expect(queries.filter((q) => q === 'misrouting-summary-base').length).toBe(r === 1 || r === 4 ? 1 : 0)
      seen.push(Object.fromEntries(records.map((x) => [x.spec.id, expected.get(x.spec.id)!.misrouting.misrouted])))
      const m = expected.get('m-two')!.misrouting
      if (r >= 3) expect(m.recent!.units).toBeLessThan(m.units)
    }
    // The counts moved both ways: misrouted units appeared (second variants), and m-ramp's fell at the ramp.
    expect(seen[5]!['m-two']!).toBeGreaterThan(seen[1]!['m-two']!)
    expect(seen[3]!['m-ramp']!).toBeLessThan(seen[2]!['m-ramp']!)
    // The recent window lost units and misrouted units between increments (by time: units u%10 have no event after round 2).
    const fell = (f: (x: { units: number; misrouted: number }) => number) => recentSeen.some((x, i) => i >= 4 && base.some((b) => b.spec.id !== 'm-ramp' && f(x[b.spec.id]!) < f(recentSeen[i - 1]![b.spec.id]!)))
    expect(fell((x) => x.units)).toBe(true)
    expect(fell((x) => x.misrouted)).toBe(true)
  })
})
