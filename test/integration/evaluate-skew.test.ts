import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { embeddedWarehouse } from '../../src/adapters/warehouse/clickhouse-warehouse.js'
import { decide } from '../../src/decide/decide.js'
import { assign } from '../../src/domain/assignment.js'
import { toWarehouseTime } from '../../src/domain/telemetry.js'
import { readEvaluationBatch } from '../../src/services/evaluate-batch.js'
import { migrate } from '../../src/services/migrate.js'
import { createRng } from '../../src/stats/random.js'
import { skewnessFromMoments, type SkewMoments } from '../../src/stats/min-sample.js'
import { HOUR, T0, runningRecord, specFixture } from '../support/fixtures.js'

/**
 * The skewness gate is live: variant-stats-batch.sql returns Σx³ of the unit values (checked
 * against the values computed here), the evidence carries it, and decide() holds a strongly
 * skewed guardrail's look (LOOK_SAMPLE_PENDING, reported as GUARDRAIL_NO_DATA) while a 0/1
 * guardrail and a rate guardrail (unit means in [0, 1]) at the same sample are tested.
 */
const dir = mkdtempSync(join(tmpdir(), 'runway-evaluate-skew-'))
const warehouse = embeddedWarehouse(dir)
const NOW = T0 + 2 * HOUR
const record = runningRecord(specFixture({
  id: 'skew', variants: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }],
  rollout: { steps: [{ exposure: 50, minDuration: '1h' }, { exposure: 100, minDuration: '1h' }] },
  metrics: { primary: { name: 'conversion', type: 'proportion', direction: 'increase' }, guardrails: [{ name: 'latency_ms', direction: 'decrease' }, { name: 'error_rate', direction: 'decrease' }, { name: 'fail_rate', direction: 'decrease' }] },
}))
/** Per variant: unit → its latency value (one event per unit, so the unit's mean is the value). */
const latency = new Map<string, number[]>()

beforeAll(async () => {
  await migrate(warehouse)
  const rng = createRng({ seed: 3 })
  const events: Array<Record<string, unknown>> = []
  for (let u = 0; u < 1200; u++) {
    const a = assign({ experimentId: 'skew', namespace: record.spec.namespace, layer: record.spec.layer, allocation: record.allocation, exposurePercent: 50, variants: record.spec.variants, unitId: `u${u}` })
    if (!a.exposed) continue
    const ts = toWarehouseTime(T0 + u * 5_000)
    // Lognormal σ = 1.5: skewness in the tens, so 355·s² is far above 300 units per arm.
    const x = Math.round(100 * Math.exp(1.5 * rng.normal()) * 1000) / 1000
    latency.set(a.variant!, [...(latency.get(a.variant!) ?? []), x])
    const base = { experiment_id: 'skew', variant: a.variant, unit_id: `u${u}`, service: 'svc', ts, attributes: {}, received_at: toWarehouseTime(NOW) }
    events.push({ ...base, event_id: `l${u}`, metric: 'latency_ms', value: x })
    events.push({ ...base, event_id: `e${u}`, metric: 'error_rate', value: rng.uniform() < 0.05 ? 1 : 0 })
    events.push({ ...base, event_id: `c${u}`, metric: 'conversion', value: rng.uniform() < 0.2 ? 1 : 0 })
    // A rate: two 0/1 events per unit at 2%, so unit means 0, ½ or 1 (skewed, but in [0, 1]).
    for (const k of [0, 1]) events.push({ ...base, event_id: `f${u}-${k}`, metric: 'fail_rate', value: rng.uniform() < 0.02 ? 1 : 0 })
  }
  await warehouse.insert('events', events)
})

afterAll(async () => {
  await warehouse.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('skewness gate fed by Σx³ from SQL', () => {
  it('Σx³ per variant equals the sum of the unit values cubed', async () => {
    const reads = (await readEvaluationBatch(warehouse, [record], { now: NOW })).get('skew')!
    const m = reads.metrics.find((x) => x.metric === 'latency_ms')!
    for (const [variant, xs] of latency) {
      const got = m.byVariant[variant] as { n: number; sumCubes?: number }
      const want = xs.reduce((s, x) => s + x ** 3, 0)
      expect(got.n).toBe(xs.length)
      expect(Math.abs(got.sumCubes! - want) / want).toBeLessThan(1e-12)
    }
  })

  it('holds the skewed guardrail’s look and tests the 0/1 one', async () => {
    const reads = (await readEvaluationBatch(warehouse, [record], { now: NOW })).get('skew')!
    const m = reads.metrics.find((x) => x.metric === 'latency_ms')!
    const arms = Object.values(m.byVariant) as unknown as SkewMoments[]
    const pooled = arms.reduce((a, b) => ({ n: a.n + b.n, sum: a.sum + b.sum, sumSquares: a.sumSquares + b.sumSquares, sumCubes: a.sumCubes + b.sumCubes }), { n: 0, sum: 0, sumSquares: 0, sumCubes: 0 })
    const need = Math.ceil(355 * skewnessFromMoments(pooled).skewness! ** 2)
    expect(need).toBeGreaterThan(1000)
    const outcome = decide({ record, now: NOW, ...reads })
    const byMetric = (name: string) => outcome.comparisons.find((c) => c.metric === name)!
    expect(byMetric('latency_ms')).toMatchObject({ status: 'LOOK_SAMPLE_PENDING', minLookUnits: need })
    expect(byMetric('error_rate').status).not.toBe('LOOK_SAMPLE_PENDING')
    expect(byMetric('fail_rate').status).not.toBe('LOOK_SAMPLE_PENDING')
    const rate = reads.metrics.find((x) => x.metric === 'fail_rate')!
    expect(Object.values(rate.byVariant).some((v) => v.sum !== v.sumSquares)).toBe(true)
    expect(Object.values(rate.byVariant).every((v) => !('sumCubes' in v))).toBe(true)
    const noData = outcome.reasons.find((r) => r.code === 'GUARDRAIL_NO_DATA')
    expect(noData?.message, JSON.stringify(outcome.reasons)).toContain(`latency_ms/treatment`)
    expect(noData?.message).toContain(`skewness needs ${need} per arm`)
    expect(noData?.message).not.toContain('fail_rate')
    expect(outcome.decision).not.toBe('ramp')
  })
})
