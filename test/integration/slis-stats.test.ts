import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { embeddedWarehouse } from '../../src/adapters/warehouse/clickhouse-warehouse.js'
import { MetricSpec } from '../../src/domain/metric.js'
import { toWarehouseTime } from '../../src/domain/telemetry.js'
import { armEstimate } from '../../src/stats/arm-estimate.js'
import { cupedThetaJoint } from '../../src/stats/cuped-theta.js'
import { quantileArmStatsOf } from '../../src/stats/quantile-sample.js'
import { readMetricEvidence } from '../../src/services/metric-evidence.js'
import { migrate } from '../../src/services/migrate.js'

/**
 * The warehouse's sufficient statistics against an independent computation over the raw rows
 * the test inserted: ratio cross-products, CUPED covariate sums (and θ / adjusted variances
 * through src/stats from per-unit values computed here), quantile arm stats, SLO window counts.
 */
const dir = mkdtempSync(join(tmpdir(), 'runway-slis-stats-'))
const warehouse = embeddedWarehouse(dir)
const T0 = Date.parse('2026-03-02T00:00:00Z')
const NOW = T0 + 8 * 3_600_000
const PRE = 3 * 86_400_000

interface Row { unit: string; variant: string; experiment: string; metric: string; ts: number; value: number }
const rows: Row[] = []
let seed = 7
const rnd = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648)

beforeAll(async () => {
  await migrate(warehouse)
  for (let u = 0; u < 400; u++) {
    const unit = `u${u}`
    const variant = u % 2 === 0 ? 'control' : 'treatment'
    const skill = rnd() * 10
    const exposedAt = T0 + Math.floor(rnd() * 7 * 3_600_000)
    // Pre-period: another experiment's events (some inside, some before the 3-day pre-period).
    for (let k = 0; k < 3; k++) if (u % 5 !== 0) rows.push({ unit, variant: 'x', experiment: 'baseline', metric: 'revenue', ts: exposedAt - Math.floor(rnd() * 4 * 86_400_000) - 1, value: skill + rnd() * 2 })
    rows.push({ unit, variant, experiment: 'exp-s', metric: 'sessions', ts: exposedAt, value: 1 + Math.floor(rnd() * 3) })
    for (let k = 0, n = 1 + Math.floor(rnd() * 4); k < n; k++) {
      rows.push({ unit, variant, experiment: 'exp-s', metric: 'revenue', ts: exposedAt + 1 + Math.floor(rnd() * 3_600_000), value: skill + rnd() * 3 + (variant === 'treatment' ? 0.5 : 0) })
      rows.push({ unit, variant, experiment: 'exp-s', metric: 'latency_ms', ts: Math.min(NOW, exposedAt + 1 + Math.floor(rnd() * 3_600_000)), value: Math.round(50 + 400 * rnd() ** 3) })
    }
  }
  await warehouse.insert('events', rows.map((r, i) => ({
    event_id: `e${i}`, ts: toWarehouseTime(r.ts), experiment_id: r.experiment, variant: r.variant, unit_id: r.unit,
    service: 'svc', metric: r.metric, value: r.value, attributes: {}, received_at: toWarehouseTime(NOW),
  })))
})

afterAll(async () => {
  await warehouse.close()
  rmSync(dir, { recursive: true, force: true })
})

const inExp = (metric: string, variant: string) => rows.filter((r) => r.experiment === 'exp-s' && r.metric === metric && r.variant === variant)
const perUnitSum = (rs: Row[]) => { const m = new Map<string, number>(); for (const r of rs) m.set(r.unit, (m.get(r.unit) ?? 0) + r.value); return m }
const close = (a: number, b: number) => expect(a).toBeCloseTo(b, 6)

describe('metric evidence from SQL equals an independent computation over the raw rows', () => {
  it('ratio: n, ΣY, ΣY², ΣD, ΣD², ΣYD per variant', async () => {
    const ev = await readMetricEvidence(warehouse, { experiment: 'exp-s', metric: MetricSpec.parse({ name: 'rps', type: 'ratio', numerator: 'revenue', denominator: 'sessions' }), control: 'control', now: NOW })
    for (const v of ['control', 'treatment']) {
      const y = perUnitSum(inExp('revenue', v))
      const d = perUnitSum(inExp('sessions', v))
      const units = new Set([...y.keys(), ...d.keys()])
      let sy = 0, syy = 0, sd = 0, sdd = 0, syd = 0
      for (const u of units) { const a = y.get(u) ?? 0, b = d.get(u) ?? 0; sy += a; syy += a * a; sd += b; sdd += b * b; syd += a * b }
      const arm = ev.arms![v]!
      expect(arm.n).toBe(units.size)
      close(arm.sum, sy); close(arm.sumSquares, syy); close(arm.denominatorSum!, sd); close(arm.denominatorSumSquares!, sdd); close(arm.crossSum!, syd)
    }
  })

  it('CUPED: covariate before each unit’s exposure, θ and adjusted variances agree with src/stats on the same unit data', async () => {
    const metric = MetricSpec.parse({ name: 'revenue', covariate: { prePeriod: '3d' } })
    const ev = await readMetricEvidence(warehouse, { experiment: 'exp-s', metric, control: 'control', now: NOW })
    const arms: Record<string, { n: number; sum: number; sumSquares: number; covariateSum: number; covariateSumSquares: number; covariateCrossSum: number }> = {}
    for (const v of ['control', 'treatment']) {
      const exp = rows.filter((r) => r.experiment === 'exp-s' && r.variant === v)
      const exposure = new Map<string, number>()
      for (const r of exp) exposure.set(r.unit, Math.min(exposure.get(r.unit) ?? Infinity, r.ts))
      const ys = new Map<string, number[]>()
      for (const r of inExp('revenue', v)) ys.set(r.unit, [...(ys.get(r.unit) ?? []), r.value])
      const a = { n: 0, sum: 0, sumSquares: 0, covariateSum: 0, covariateSumSquares: 0, covariateCrossSum: 0 }
      let withCov = 0
      for (const [u, vals] of ys) {
        const y = vals.reduce((s, x) => s + x, 0) / vals.length
        const e = exposure.get(u)!
        const pre = rows.filter((r) => r.unit === u && r.metric === 'revenue' && r.ts < e && r.ts >= e - PRE).map((r) => r.value)
        const x = pre.length ? pre.reduce((s, t) => s + t, 0) / pre.length : 0
        if (pre.length) withCov++
        a.n++; a.sum += y; a.sumSquares += y * y; a.covariateSum += x; a.covariateSumSquares += x * x; a.covariateCrossSum += x * y
      }
      arms[v] = a
      const got = ev.arms![v]!
      expect(got.n).toBe(a.n)
      close(got.sum, a.sum); close(got.covariateSum!, a.covariateSum); close(got.covariateSumSquares!, a.covariateSumSquares); close(got.covariateCrossSum!, a.covariateCrossSum)
      expect(ev.cuped!.byVariant[v]!.unitsWithCovariate).toBe(withCov)
    }
    const theta = cupedThetaJoint({ arms: Object.values(arms) }).theta!
    close(ev.cuped!.theta!, theta)
    const n = arms.control!.n + arms.treatment!.n
    const xbar = (arms.control!.covariateSum + arms.treatment!.covariateSum) / n
    let adjusted = 0
    let raw = 0
    for (const v of ['control', 'treatment']) {
      const adj = armEstimate({ arm: arms[v]!, metric: 'mean', cuped: { theta, covariateMean: xbar } })
      close(ev.cuped!.byVariant[v]!.adjustedMean!, adj.estimate!)
      close(ev.cuped!.byVariant[v]!.adjustedVariance!, adj.variance!)
      adjusted += adj.variance!
      raw += armEstimate({ arm: arms[v]!, metric: 'mean' }).variance!
    }
    close(ev.cuped!.varianceReduction!, 1 - adjusted / raw)
    // The covariate is the unit's skill (4 in 5 units have pre-period events): a real reduction.
    expect(ev.cuped!.varianceReduction!).toBeGreaterThan(0.2)
  })

  it('quantile: order statistics and cluster sums equal quantileArmStatsOf over the raw events', async () => {
    const ev = await readMetricEvidence(warehouse, { experiment: 'exp-s', metric: MetricSpec.parse({ name: 'lat_p95', type: 'quantile', quantile: 0.95, source: 'latency_ms' }), control: 'control', now: NOW })
    for (const v of ['control', 'treatment']) {
      const rs = inExp('latency_ms', v)
      const ids = new Map<string, number>()
      const expected = quantileArmStatsOf({ values: rs.map((r) => r.value), units: rs.map((r) => ids.get(r.unit) ?? (ids.set(r.unit, ids.size), ids.size - 1)), level: 0.95 })
      expect(ev.quantile!.byVariant[v]).toEqual(expected)
    }
  })

  it('SLO windows: bad and total events over (now − w, now] per variant', async () => {
    const ev = await readMetricEvidence(warehouse, { experiment: 'exp-s', metric: MetricSpec.parse({ name: 'latency_ms', slo: { max: 300 } }), control: 'control', now: NOW })
    for (const v of ['control', 'treatment']) {
      for (const [w, ms] of [['5m', 300_000], ['30m', 1_800_000], ['1h', 3_600_000], ['6h', 21_600_000]] as const) {
        const inWindow = inExp('latency_ms', v).filter((r) => r.ts > NOW - ms && r.ts <= NOW)
        expect(ev.slo!.byVariant[v]![w]).toEqual({ bad: inWindow.filter((r) => r.value > 300).length, total: inWindow.length })
      }
    }
    expect(ev.slo!.byVariant.control!['1h'].total).toBeGreaterThan(0)
  })
})
