import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { MemoryBus } from '../../src/adapters/bus/memory-bus.js'
import { ManualClock } from '../../src/adapters/clock/manual-clock.js'
import { MemoryStateStore } from '../../src/adapters/state/memory-state.js'
import { decide } from '../../src/decide/decide.js'
import { verdictEvidence } from '../../src/decide/verdict-evidence.js'
import type { ExperimentSpecInput } from '../../src/domain/experiment.js'
import type { ExperimentRecord } from '../../src/domain/experiment-record.js'
import { toWarehouseTime } from '../../src/domain/telemetry.js'
import type { QueryParams } from '../../src/ports/warehouse.js'
import { readEvaluationBatch } from '../../src/services/evaluate-batch.js'
import { EvaluateCycle } from '../../src/services/evaluate-cycle.js'
import { IncrementalEvaluationReader } from '../../src/services/evaluate-incremental.js'
import { EvaluateService } from '../../src/services/evaluate.js'
import { sqlQuery } from '../../src/sql-files.js'
import { DAY, HOUR, MINUTE, T0, runningRecord, specFixture } from '../support/fixtures.js'
import { maxRelDiff } from '../support/max-rel-diff.js'
import { migratedWarehouse } from '../support/migrated-warehouse.js'
import { prng } from '../support/random-scenario.js'

/**
 * The evaluate-cycle job as the runtime builds it with RUNWAY_EVAL_INCREMENTAL on (EvaluateCycle →
 * EvaluateService.evaluateMany through one IncrementalEvaluationReader kept across cycles), over six
 * rounds of inserted events on chDB. After each cycle, the verdicts it stored are compared with what
 * a full read gives at the same `now`: readEvaluationBatch (the batch SQL, no held sums) and decide()
 * on the same records — the oracle runs none of the incremental code. Per round: units touched in
 * some rounds only, late events with an old ts, units logged under a second variant, CUPED pre-period
 * events arriving late, an experiment that starts at round 3, one paused at round 3 and resumed at
 * round 4 (its held sums are dropped and read again), and events stamped before a cycle but visible
 * only after it (within the grace) that the next cycle must count.
 */
const wh = migratedWarehouse('runway-evaluate-cycle-incremental-')
const GRACE = 5_000
const INTERVAL = 10 * MINUTE
const ROUNDS = 6
const roundAt = (r: number) => T0 + 6 * HOUR + r * INTERVAL
const v = (...names: string[]) => names.map((name) => ({ name, weight: 100 / names.length }))
const full = { steps: [{ exposure: 100, minDuration: '1h' }] }
const evaluation = { interval: '10m', staleAfter: '1h', minUnits: 20 }
const specs: Array<Partial<ExperimentSpecInput>> = [
  { id: 'c-mean', variants: v('control', 'treatment'), rollout: full, evaluation,
    metrics: { primary: { name: 'revenue', direction: 'increase' }, guardrails: [{ name: 'error_rate', type: 'proportion', direction: 'decrease' }, { name: 'latency_ms', direction: 'decrease', slo: { max: 300, objective: 0.99 } }], secondary: [{ name: 'revenue_sum', source: 'revenue', aggregation: 'sum', direction: 'increase' }] } },
  { id: 'c-ratio', variants: v('control', 'b', 'c'), rollout: full, evaluation,
    metrics: { primary: { name: 'rps', type: 'ratio', numerator: 'revenue', denominator: 'sessions', direction: 'increase' }, guardrails: [{ name: 'p95', type: 'quantile', quantile: 0.95, source: 'latency_ms', direction: 'decrease' }], secondary: [{ name: 'sessions', type: 'count', direction: 'increase' }] } },
  { id: 'c-cuped', variants: v('control', 'b', 'c', 'd'), rollout: full, evaluation,
    metrics: { primary: { name: 'revenue', direction: 'increase', covariate: { prePeriod: '3d' } }, guardrails: [{ name: 'error_rate', type: 'proportion', direction: 'decrease' }] } },
  { id: 'c-partial', variants: [{ name: 'control', weight: 20 }, { name: 'b', weight: 80 }], rollout: { steps: [{ exposure: 50, minDuration: '1h' }] }, evaluation,
    metrics: { primary: { name: 'revenue', direction: 'increase' }, guardrails: [{ name: 'error_rate', type: 'proportion', direction: 'decrease' }] } },
  { id: 'c-late', variants: v('control', 'treatment'), rollout: full, evaluation,
    metrics: { primary: { name: 'rps', type: 'ratio', numerator: 'revenue', denominator: 'sessions', direction: 'increase' }, guardrails: [{ name: 'error_rate', type: 'proportion', direction: 'decrease' }] } },
  { id: 'c-paused', variants: v('control', 'treatment'), rollout: full, evaluation,
    metrics: { primary: { name: 'sessions', type: 'count', direction: 'increase' }, guardrails: [{ name: 'error_rate', type: 'proportion', direction: 'decrease' }] } },
]
const rnd = prng(20_261_204)

type Row = Record<string, unknown>
/** Round r's events: `now` ones received in (end of round r−1, end of round r − grace]; `inflight` ones in the grace before the cycle. */
function roundEvents(r: number, ids: readonly ExperimentRecord[]): { now: Row[]; inflight: Row[] } {
  const out: { now: Row[]; inflight: Row[] } = { now: [], inflight: [] }
  const lo = roundAt(r - 1)
  const hi = roundAt(r) - GRACE
  const push = (to: 'now' | 'inflight', experiment: string, variant: string, unit: string, metric: string, ts: number, value: number) => {
    const receivedAt = to === 'now' ? lo + 1 + Math.floor(rnd() * (hi - lo)) : hi + 1 + Math.floor(rnd() * (GRACE - 1))
    out[to].push({ event_id: `c${r}-${to}-${out[to].length}`, ts: toWarehouseTime(ts), experiment_id: experiment, variant, unit_id: unit, service: 'svc', metric, value, attributes: {}, received_at: toWarehouseTime(receivedAt) })
  }
  for (const rec of ids) {
    const s = rec.spec
    for (let u = 0; u < 100; u++) {
      if (rnd() < 0.5) continue
      const unit = `u${u}`
      const k = (u * 5 + s.id.length) % s.variants.length
      const variant = s.variants[u % 11 === 0 && r >= 2 ? (k + 1) % s.variants.length : k]!.name
      const at = roundAt(r) - Math.floor(rnd() * 5 * HOUR)
      const ts = u % 8 === 0 ? T0 + Math.floor(rnd() * HOUR) : at
      const skill = (u % 7) + rnd()
      const to = u % 5 === 0 ? 'inflight' : 'now'
      push(to, s.id, variant, unit, 'sessions', ts, 1 + Math.floor(rnd() * 3))
      if (rnd() < 0.8) push('now', s.id, variant, unit, 'revenue', ts + 1, skill + rnd() * 2)
      push('now', s.id, variant, unit, 'latency_ms', ts + 2, Math.round(50 + 400 * rnd() ** 3))
      push(to, s.id, variant, unit, 'error_rate', ts + 3, rnd() < 0.05 ? 1 : 0)
      if (u % 4 === 0) push('now', 'baseline', 'x', unit, 'revenue', T0 - Math.floor(rnd() * 2 * DAY), skill)
    }
  }
  return out
}

describe('evaluate-cycle with incremental reads against a full read', () => {
  it('stores, every round, the verdicts a full read gives (numbers to 1e-9 relative, all else exactly)', { timeout: 300_000 }, async () => {
    const warehouse = wh()
    const clock = new ManualClock(roundAt(0))
    const state = new MemoryStateStore()
    const log = pino({ level: 'silent' })
    const records = specs.map((s) => ({ ...runningRecord(specFixture(s), { startedAt: T0 }), stateSince: T0 }))
    for (const r of records) if (r.spec.id !== 'c-late') await state.put(r, null)
    const queue = { patch: async (id: string, f: (r: ExperimentRecord) => Partial<ExperimentRecord>) => {
      const r = (await state.get(id))!
      await state.put({ ...r, ...f(r), version: r.version + 1 }, r.version)
      return null as never
    } }
    const selects: string[] = []
    // Every query's text, to tell which passes ran (the oracle's own reads come after the checks).
    const select = warehouse.select.bind(warehouse)
    warehouse.select = (async (sql: string, params?: QueryParams) => { selects.push(sql); return select(sql, params) }) as typeof warehouse.select
    const evaluator = new EvaluateService({ warehouse: warehouse, state, bus: new MemoryBus(), clock, log, queue })
    const reader = new IncrementalEvaluationReader(warehouse, { graceMs: GRACE, rebaseMs: DAY })
    const cycle = new EvaluateCycle({ evaluator, state, warehouse: warehouse, clock, log, incremental: reader })
    const ran = (name: string) => selects.filter((s) => s === sqlQuery(name)).length
    let previous = new Map<string, string>()
    let inflight: Row[] = []
    for (let r = 1; r <= ROUNDS; r++) {
      const events = roundEvents(r, records)
      // Last round's in-flight events become visible now (received before its cycle, inserted after it).
      for (const batch of [inflight, events.now.slice(0, events.now.length >> 1), events.now.slice(events.now.length >> 1)]) if (batch.length > 0) await warehouse.insert('events', batch)
      inflight = events.inflight
      if (r === 3) {
        await state.put({ ...records[4]!, stateSince: roundAt(2) }, null)
        const p = (await state.get('c-paused'))!
        await state.put({ ...p, state: 'paused', stateSince: roundAt(3) - MINUTE, version: p.version + 1 }, p.version)
      }
      if (r === 4) {
        const p = (await state.get('c-paused'))!
        await state.put({ ...p, state: 'running', stateSince: roundAt(3), version: p.version + 1 }, p.version)
      }
      await clock.advanceTo(roundAt(r))
      const before = (await state.list()).filter((x) => x.state === 'running')
      selects.length = 0
      const result = await cycle.run()
      expect(result?.due.sort()).toEqual(before.map((x) => x.spec.id).sort())
      // Held passes are read from bases in the first cycle and moved by increments after it; the batch text of those is not run.
      expect(ran('variant-stats-batch') + ran('ratio-stats-batch') + ran('cuped-stats-batch') + ran('variant-units-batch') + ran('misrouting-summary-batch') + ran('quantile-stats-batch')).toBe(0)
      for (const pass of ['variant-stats', 'cuped-stats', 'misrouting-summary', 'quantile-stats']) expect(ran(`${pass}-${r === 1 ? 'base' : 'incremental'}`), `${pass}, round ${r}`).toBeGreaterThan(0)

      // The oracle: a full read and decide() on the records the cycle saw, at its `now`.
      const fullReads = await readEvaluationBatch(warehouse, before, { now: result!.at })
      const stored = await warehouse.select<{ experiment_id: string; decision: string; reasons: string; evidence: string }>(
        'SELECT experiment_id, decision, reasons, evidence FROM verdicts WHERE toUnixTimestamp64Milli(evaluated_at) = {at:Int64}', { at: result!.at })
      expect(stored.map((x) => x.experiment_id).sort()).toEqual(before.map((x) => x.spec.id).sort())
      const evidence = new Map<string, string>()
      for (const row of stored) {
        const record = before.find((x) => x.spec.id === row.experiment_id)!
        const oracle = decide({ record, now: result!.at, ...fullReads.get(row.experiment_id)! })
        expect(maxRelDiff(JSON.parse(row.evidence), JSON.parse(verdictEvidence(oracle))), `${row.experiment_id}, round ${r}`).toBeLessThanOrEqual(1e-9)
        expect(row.decision).toBe(oracle.decision)
        expect((JSON.parse(row.reasons) as Array<{ code: string }>).map((x) => x.code)).toEqual(oracle.reasons.map((x) => x.code))
        evidence.set(row.experiment_id, row.evidence)
      }
      // Something moved for every experiment evaluated in both rounds: otherwise nothing is proven.
      for (const [id, e] of evidence) if (previous.has(id)) expect(e, `${id}, round ${r}`).not.toBe(previous.get(id))
      previous = evidence
    }
    const last = await readEvaluationBatch(warehouse, records, { now: roundAt(ROUNDS) })
    expect([...last.values()].every((x) => x.units.length >= 2 && x.misrouting.misrouted > 0)).toBe(true)
  })
})
