import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ManualClock } from '../../src/adapters/clock/manual-clock.js'
import { MemoryBus } from '../../src/adapters/bus/memory-bus.js'
import { MemoryStateStore } from '../../src/adapters/state/memory-state.js'
import { embeddedWarehouse } from '../../src/adapters/warehouse/clickhouse-warehouse.js'
import { decide } from '../../src/decide/decide.js'
import { toWarehouseTime } from '../../src/domain/telemetry.js'
import { readEvaluationBatch } from '../../src/services/evaluate-batch.js'
import { EvaluateService } from '../../src/services/evaluate.js'
import { migrate } from '../../src/services/migrate.js'
import { HOUR, T0, runningRecord, specFixture } from '../support/fixtures.js'

/**
 * Verdicts carry an INTERFERENCE_FLAGGED reason for each flagged row of the latest interference
 * run that their experiment is in (one query for the whole batch); older runs and clear rows
 * give none, and the decision is the one decide() gives without them.
 */
const dir = mkdtempSync(join(tmpdir(), 'runway-evaluate-interference-'))
const warehouse = embeddedWarehouse(dir)
const NOW = T0 + 6 * HOUR
const clock = new ManualClock(NOW)
const state = new MemoryStateStore()
const records = ['int-a', 'int-b', 'int-x'].map((id, i) => runningRecord(specFixture({ id, layer: `layer-${i}` })))
const selects: string[] = []

const row = (run: string, at: number, a: string, b: string, extra: Record<string, unknown>) => ({
  run_id: run, evaluated_at: toWarehouseTime(at), experiment_a: a, experiment_b: b, namespace_a: 'default', namespace_b: 'default',
  reason: 'namespace', kind: 'interaction', metric: 'error_rate', variant_a: 'treatment', variant_b: 'treatment',
  window_from: toWarehouseTime(T0), window_to: toWarehouseTime(at), units: 3000, correlation_n: 0, fdr: 0.05, stats_status: 'ok', status: 'clear', action: 'flagged', ...extra,
})

beforeAll(async () => {
  await migrate(warehouse)
  for (const r of records) await state.put(r, null)
  await warehouse.insert('interference', [
    // An older run flagged int-a with int-c: superseded by the latest run.
    row('run-1', NOW - 2 * HOUR, 'int-a', 'int-c', { status: 'flagged', delta: 0.5, ci_low: 0.1, ci_high: 0.9, adjusted_p: 0.001 }),
    row('run-2', NOW - HOUR, 'int-a', 'int-b', { status: 'flagged', delta: 0.19, ci_low: 0.13, ci_high: 0.25, adjusted_p: 1e-9, p_value: 1e-10 }),
    row('run-2', NOW - HOUR, 'int-a', 'int-b', { metric: 'conversion', status: 'clear', delta: 0.01, ci_low: -0.02, ci_high: 0.04, adjusted_p: 0.7 }),
    row('run-2', NOW - HOUR, 'int-b', 'int-d', { kind: 'assignment', metric: '', variant_a: '', variant_b: '', status: 'flagged', chi_square: 812.5, df: 1, p_value: 1e-170 }),
    row('run-2', NOW - HOUR, 'int-x', 'int-e', { status: 'insufficient' }),
  ])
  const select = warehouse.select.bind(warehouse)
  warehouse.select = (async (sql: string, params?: never) => { selects.push(sql); return select(sql, params) }) as typeof warehouse.select
})

afterAll(async () => {
  await warehouse.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('INTERFERENCE_FLAGGED in verdicts', () => {
  it('names the other experiment and the numbers of each flagged row of the latest run, read once per batch', async () => {
    const evaluator = new EvaluateService({ warehouse, state, bus: new MemoryBus(), clock, log: pino({ level: 'silent' }), queue: { patch: async () => null as never } })
    selects.length = 0
    const evaluations = await evaluator.evaluateMany(records)
    expect(selects.filter((s) => s.includes('interference'))).toHaveLength(1)
    const flagged = (id: string) => evaluations.find((e) => e.verdict.experimentId === id)!.verdict.reasons.filter((r) => r.code === 'INTERFERENCE_FLAGGED')
    expect(flagged('int-a')).toEqual([{
      code: 'INTERFERENCE_FLAGGED', metric: 'error_rate', variant: 'treatment',
      message: 'interference with int-b: error_rate treatment×treatment Δ=0.19 [0.13, 0.25] adjusted p=1e-9 over 3000 units',
      numbers: { delta: 0.19, ciLow: 0.13, ciHigh: 0.25, adjustedP: 1e-9, units: 3000 },
    }])
    expect(flagged('int-b').map((r) => r.message)).toEqual([
      'interference with int-a: error_rate treatment×treatment Δ=0.19 [0.13, 0.25] adjusted p=1e-9 over 3000 units',
      'interference with int-d: assignment dependence χ²=812.5 df=1 p=1e-170 over 3000 shared units',
    ])
    expect(flagged('int-b')[1]!.numbers).toEqual({ chiSquare: 812.5, df: 1, pValue: 1e-170, units: 3000 })
    expect(flagged('int-x')).toEqual([])
  })

  it('informs only: the decision and the other reasons are decide()’s', async () => {
    const evaluator = new EvaluateService({ warehouse, state, bus: new MemoryBus(), clock, log: pino({ level: 'silent' }), queue: { patch: async () => null as never } })
    const [a] = await evaluator.evaluateMany([records[0]!])
    const reads = (await readEvaluationBatch(warehouse, [records[0]!], { now: NOW })).get('int-a')!
    const plain = decide({ record: records[0]!, now: NOW, ...reads })
    expect(a!.verdict.decision).toBe(plain.decision)
    expect(a!.verdict.reasons.filter((r) => r.code !== 'INTERFERENCE_FLAGGED')).toEqual(plain.reasons)
    expect(a!.verdict.reasons.at(-1)!.code).toBe('INTERFERENCE_FLAGGED')
  })
})
