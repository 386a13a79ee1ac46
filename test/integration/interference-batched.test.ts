import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assessInterference, type PairInput } from '../../src/domain/interference-assess.js'
import { candidatePairs, sharedMetrics } from '../../src/domain/interference.js'
import { controlOf } from '../../src/domain/experiment.js'
import { PolicyConfigSchema } from '../../src/domain/policy-config.js'
import type { StateStore } from '../../src/ports/state-store.js'
import type { Warehouse } from '../../src/ports/warehouse.js'
import { InterferenceService } from '../../src/services/interference.js'
import { createRng } from '../../src/stats/random.js'
import { type Embedded, T0, specBody, startEmbedded } from '../support/embedded.js'

/**
 * The interference job reads all pairs together (services/interference-read.ts). Checked here
 * against an independent computation of each pair alone from the raw rows (unit_metrics and
 * events, reduced in JS as the per-pair queries did: misrouted units left out, A's metric
 * value, control means per hour bucket from the pair's later start), over four experiments in
 * four layers of one namespace (six pairs): 2 and 3 variants, a metric summed per unit, a
 * misrouted unit, a unit in one experiment only, an experiment with no units, and a pair whose
 * later start falls inside an hour bucket. And: the number of warehouse reads per run does not
 * grow with the number of pairs.
 */
const UNITS = 600
const tester = { type: 'person' as const, id: 'tester' }
const metrics = (withRevenue: boolean) => ({
  primary: { name: 'conversion' },
  guardrails: [{ name: 'error_rate', direction: 'decrease' }],
  ...(withRevenue ? { secondary: [{ name: 'revenue', aggregation: 'sum' }] } : {}),
})
const spec = (id: string, layer: string, variants: string[], withRevenue: boolean) => specBody({
  id, layer, rollout: { steps: [{ exposure: 100, minDuration: '1h' }] }, metrics: metrics(withRevenue),
  // No evaluation while the clock moves 90 minutes before the events arrive (it would pause on no data).
  evaluation: { interval: '12h', staleAfter: '12h', minUnits: 20 },
  variants: variants.map((name) => ({ name, weight: Math.floor(100 / variants.length) + (name === 'control' ? 100 % variants.length : 0) })),
})

function events(): string {
  const rng = createRng({ seed: 5 })
  const lines: string[] = []
  const exps: Array<[string, string[], boolean]> = [['bt-a', ['control', 'treatment'], true], ['bt-b', ['control', 'treatment'], true], ['bt-c', ['control', 't1', 't2'], false]]
  for (let u = 0; u < UNITS; u++) {
    const ts = T0 + (u % 600) * 60_000
    for (const [exp, variants, revenue] of exps) {
      if (exp === 'bt-c' && u % 7 === 0) continue // units bt-c never saw
      const variant = variants[Math.floor(rng.uniform() * variants.length)]!
      const push = (metric: string, extra: Record<string, unknown>, v = variant, k = 0) =>
        lines.push(JSON.stringify({ eventId: `${exp}-${u}-${metric}-${k}`, ts: ts + k * 1000, experimentId: exp, variant: v, unitId: `u${u}`, metric, ...extra }))
      push('conversion', { outcome: rng.uniform() < 0.3 + (variant !== 'control' ? 0.05 : 0) })
      push('error_rate', { outcome: rng.uniform() < 0.1 })
      if (revenue) for (let k = 0; k < 1 + (u % 3); k++) push('revenue', { value: Math.round(rng.uniform() * 1000) / 10 }, variant, k)
    }
    // A misrouted unit in bt-a, on one metric only: left out of the cross-tab and of conversion's cells.
    if (u === 3) lines.push(JSON.stringify({ eventId: `mis-${u}`, ts, experimentId: 'bt-a', variant: 'treatment', unitId: `u${u}`, metric: 'conversion', outcome: true }))
    if (u === 3) lines.push(JSON.stringify({ eventId: `mis2-${u}`, ts, experimentId: 'bt-a', variant: 'control', unitId: `u${u}`, metric: 'conversion', outcome: false }))
  }
  return lines.join('\n')
}

interface Raw { experiment_id: string; metric: string; variant: string; unit_id: string; events: number | string; total: number }
interface RawEvent { experiment_id: string; variant: string; metric: string; ts: string; value: number }

/** Each pair alone, from the raw rows, the way the per-pair queries computed it. */
function referenceInputs(pairs: ReturnType<typeof candidatePairs>, raw: Raw[], ev: RawEvent[]): PairInput[] {
  const single = (rows: Raw[]) => {
    const by = new Map<string, Set<string>>()
    for (const r of rows) by.set(r.unit_id, (by.get(r.unit_id) ?? new Set()).add(r.variant))
    return new Map([...by].filter(([, v]) => v.size === 1).map(([u, v]) => [u, [...v][0]!]))
  }
  const ms = (s: string) => Date.parse(`${s.replace(' ', 'T')}Z`)
  return pairs.map((p) => {
    const [a, b] = [p.a.spec.id, p.b.spec.id]
    const va = single(raw.filter((r) => r.experiment_id === a))
    const vb = single(raw.filter((r) => r.experiment_id === b))
    const variantsA = p.a.spec.variants.map((v) => v.name)
    const variantsB = p.b.spec.variants.map((v) => v.name)
    const table = variantsA.map((x) => variantsB.map((y) => [...va].filter(([u, v]) => v === x && vb.get(u) === y).length))
    const from = Math.max(p.a.startedAt ?? 0, p.b.startedAt ?? 0)
    const interactions: PairInput['interactions'] = []
    const baseline: PairInput['baseline'] = []
    for (const m of sharedMetrics(p.a.spec, p.b.spec)) {
      const rows = raw.filter((r) => r.experiment_id === a && r.metric === m.name)
      const vm = single(rows)
      const x = new Map<string, number>()
      for (const [u] of vm) {
        const mine = rows.filter((r) => r.unit_id === u)
        const total = mine.reduce((s, r) => s + r.total, 0)
        x.set(u, m.aggregation === 'sum' ? total : total / mine.reduce((s, r) => s + Number(r.events), 0))
      }
      const cell = (ta: string, tb: string) => {
        const xs = [...vm].filter(([u, v]) => v === ta && vb.get(u) === tb).map(([u]) => x.get(u)!)
        return { n: xs.length, sum: xs.reduce((s, v) => s + v, 0), sumSquares: xs.reduce((s, v) => s + v * v, 0) }
      }
      const [cA, cB] = [controlOf(p.a.spec), controlOf(p.b.spec)]
      for (const ta of variantsA.slice(1)) for (const tb of variantsB.slice(1)) {
        interactions.push({ metric: m.name, variantA: ta, variantB: tb, previousP: null, cells: { tt: cell(ta, tb), tc: cell(ta, cB), ct: cell(cA, tb), cc: cell(cA, cB) } })
      }
      const means = (e: string, c: string) => {
        const by = new Map<number, number[]>()
        for (const r of ev) if (r.experiment_id === e && r.variant === c && r.metric === m.name && ms(r.ts) >= from) {
          const k = Math.floor(ms(r.ts) / 3_600_000)
          by.set(k, [...(by.get(k) ?? []), r.value])
        }
        return new Map([...by].map(([k, v]) => [k, v.reduce((s, y) => s + y, 0) / v.length]))
      }
      const [ma, mb] = [means(a, cA), means(b, cB)]
      const ks = [...ma.keys()].filter((k) => mb.has(k)).sort((q, r) => q - r)
      baseline.push({ metric: m.name, x: ks.map((k) => ma.get(k)!), y: ks.map((k) => mb.get(k)!) })
    }
    return { a, b, fdr: 0.05, assignment: { variantsA, variantsB, table }, interactions, baseline }
  })
}

describe('interference job: all pairs read together', () => {
  let rt: Embedded
  beforeAll(async () => {
    rt = await startEmbedded()
    for (const [id, layer, variants, rev] of [['bt-a', 'la', ['control', 'treatment'], true], ['bt-b', 'lb', ['control', 'treatment'], true]] as const) {
      await rt.runtime.queue.enqueue(spec(id, layer, [...variants], rev), tester)
    }
    await rt.runtime.queue.scheduleTick()
    // Ninety minutes later: the pairs with bt-c and bt-d start inside an hour bucket.
    await rt.clock.advanceTo(T0 + 90 * 60_000)
    await rt.runtime.queue.enqueue(spec('bt-c', 'lc', ['control', 't1', 't2'], false), tester)
    await rt.runtime.queue.enqueue(spec('bt-d', 'ld', ['control', 'treatment'], true), tester)
    await rt.runtime.queue.scheduleTick()
    for (const id of ['bt-a', 'bt-b', 'bt-c', 'bt-d']) expect((await rt.runtime.queue.get(id)).state).toBe('running')
    const res = await rt.runtime.ingest.ingest({ body: events(), format: 'ndjson', source: 'test' })
    expect(res.rejected).toBe(0)
  })
  afterAll(async () => {
    await rt.stop()
    rt.cleanup()
  })

  it('gives every pair the rows of that pair assessed alone from the raw unit rows', async () => {
    const run = await rt.runtime.interference.run()
    expect(run.pairs).toBe(6)
    const pairs = candidatePairs(await rt.runtime.queue.list())
    const raw = await rt.runtime.warehouse.select<Raw>("SELECT experiment_id, metric, variant, unit_id, events, total FROM unit_metrics WHERE startsWith(experiment_id, 'bt-')")
    const ev = await rt.runtime.warehouse.select<RawEvent>("SELECT experiment_id, variant, metric, toString(ts) AS ts, value FROM events WHERE startsWith(experiment_id, 'bt-')")
    const want = assessInterference({ pairs: referenceInputs(pairs, raw, ev) })
    expect(run.rows.length).toBe(want.length)
    // The fixture reaches the cases it claims: a later start inside a bucket, a summed metric, 3 variants, an empty experiment.
    expect(want.filter((r) => r.a === 'bt-a' && r.b === 'bt-c' && r.kind === 'interaction')).toHaveLength(4)
    expect(want.find((r) => r.a === 'bt-a' && r.b === 'bt-b' && r.metric === 'revenue')!.delta).not.toBeNull()
    expect(want.filter((r) => r.b === 'bt-d' || r.a === 'bt-d').every((r) => r.units === 0)).toBe(true)
    expect(want.find((r) => r.a === 'bt-a' && r.b === 'bt-c' && r.metric === 'conversion')!.correlationN).toBeGreaterThan(3)
    for (const [i, w] of want.entries()) {
      const got = run.rows[i]!
      expect([got.experiment_a, got.experiment_b, got.kind, got.metric, got.variant_a, got.variant_b, got.units, got.status, got.stats_status, got.df, got.correlation_n])
        .toEqual([w.a, w.b, w.kind, w.metric, w.variantA, w.variantB, w.units, w.status, w.statsStatus, w.df, w.correlationN])
      const close = (x: number | null, y: number | null) => (y === null || !Number.isFinite(y) ? expect(x).toBeNull() : expect(x!).toBeCloseTo(y, 9))
      for (const [x, y] of [[got.delta, w.delta], [got.se, w.se], [got.ci_low, w.ciLow], [got.ci_high, w.ciHigh], [got.relative, w.relative], [got.z, w.z], [got.p_value, w.pValue], [got.adjusted_p, w.adjustedP], [got.chi_square, w.chiSquare], [got.correlation, w.correlation], [got.correlation_low, w.correlationLow]] as const) close(x, y)
    }
  })

  it('reads the warehouse a fixed number of times per run, however many pairs', async () => {
    let selects = 0
    const w = rt.runtime.warehouse
    const counting: Warehouse = { command: (s) => w.command(s), insert: (t, r, o) => w.insert(t, r, o), close: async () => {}, select: (s, p) => { selects++; return w.select(s, p) } }
    const state = { list: () => rt.runtime.queue.list() } as unknown as StateStore
    const svc = new InterferenceService({ warehouse: counting, state, clock: rt.clock, log: pino({ level: 'silent' }), policy: () => PolicyConfigSchema.parse({}), queue: rt.runtime.queue })
    const first = await svc.run()
    const perRun = selects
    expect(first.pairs).toBe(6)
    // any-events check, cells, previous p-values, control series
    expect(perRun).toBeLessThanOrEqual(4)
    for (const [id, layer] of [['bt-e', 'le'], ['bt-f', 'lf'], ['bt-g', 'lg']] as const) await rt.runtime.queue.enqueue(spec(id, layer, ['control', 'treatment'], true), tester)
    await rt.runtime.queue.scheduleTick()
    selects = 0
    const second = await svc.run()
    expect(second.pairs).toBe(21)
    expect(selects).toBe(perRun)
  })
})
