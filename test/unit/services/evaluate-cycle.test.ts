import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../src/adapters/clock/manual-clock.js'
import { MemoryStateStore } from '../../../src/adapters/state/memory-state.js'
import type { ExperimentRecord } from '../../../src/domain/experiment-record.js'
import type { Warehouse } from '../../../src/ports/warehouse.js'
import { EvaluateCycle, isLegacyEvaluationSchedule } from '../../../src/services/evaluate-cycle.js'
import type { Evaluation } from '../../../src/services/evaluate.js'
import { MINUTE, T0, runningRecord, specFixture } from '../../support/fixtures.js'

/** A warehouse whose verdicts table holds `last` (experiment → last evaluated ms). */
const verdictsWarehouse = (last: Record<string, number> = {}, selects: string[] = []) =>
  ({
    select: async (sql: string, params: { experiments?: string[] }) => {
      selects.push(sql)
      return (params.experiments ?? []).filter((id) => id in last).map((id) => ({ experiment_id: id, evaluated_ms: String(last[id]) }))
    },
  }) as unknown as Warehouse

function setup(records: ExperimentRecord[], opts: { last?: Record<string, number>; hold?: Promise<void> } = {}) {
  const clock = new ManualClock(T0)
  const state = new MemoryStateStore()
  const calls: Array<{ at: number; ids: string[] }> = []
  const debug: string[] = []
  const log = pino({ level: 'debug' }, { write: (line: string) => debug.push(JSON.parse(line).msg) })
  const selects: string[] = []
  const cycle = new EvaluateCycle({
    state, clock, log, warehouse: verdictsWarehouse(opts.last, selects),
    evaluator: {
      evaluateMany: async (rs) => {
        calls.push({ at: clock.now(), ids: rs.map((r) => r.spec.id) })
        await opts.hold
        return rs.map((r) => ({ verdict: { experimentId: r.spec.id, evaluatedAt: clock.now() } }) as unknown as Evaluation)
      },
    },
  })
  return { clock, state, calls, debug, selects, cycle, ready: Promise.all(records.map((r) => state.put(r, null))) }
}

const running = (id: string, interval: string, since: number) => ({ ...runningRecord(specFixture({ id, evaluation: { interval, staleAfter: '1h', minUnits: 20 } })), stateSince: since })

describe('EvaluateCycle', () => {
  it('evaluates each running experiment once its interval has passed, the due ones of a tick in one batch', async () => {
    const s = setup([running('a', '10m', T0), running('b', '15m', T0), { ...running('c', '10m', T0), state: 'paused' }])
    await s.ready
    const ticks = s.clock.every(MINUTE, async () => { await s.cycle.run() })
    await s.clock.advanceTo(T0 + 60 * MINUTE)
    ticks()
    const at = (m: number) => T0 + m * MINUTE
    expect(s.calls).toEqual([
      { at: at(10), ids: ['a'] }, { at: at(15), ids: ['b'] }, { at: at(20), ids: ['a'] },
      { at: at(30), ids: ['a', 'b'] }, { at: at(40), ids: ['a'] }, { at: at(45), ids: ['b'] },
      { at: at(50), ids: ['a'] }, { at: at(60), ids: ['a', 'b'] },
    ])
    // The verdicts table is read only the first time each experiment is due (a at 10, b at 15).
    expect(s.selects).toHaveLength(2)
  })

  it('a resume restarts the cadence from the resume; a tick between due times does nothing', async () => {
    const s = setup([running('a', '10m', T0 + 25 * MINUTE)], { last: { a: T0 + 5 * MINUTE } })
    await s.ready
    s.clock.every(MINUTE, async () => { await s.cycle.run() })
    await s.clock.advanceTo(T0 + 40 * MINUTE)
    expect(s.calls.map((c) => (c.at - T0) / MINUTE)).toEqual([35])
  })

  it('after a restart the newest verdict in the warehouse sets the next evaluation', async () => {
    const s = setup([running('a', '10m', T0)], { last: { a: T0 + 17 * MINUTE } })
    await s.ready
    s.clock.every(MINUTE, async () => { await s.cycle.run() })
    await s.clock.advanceTo(T0 + 30 * MINUTE)
    // Due at 10 by its start, but another process (or this one before a restart) evaluated it at 17.
    expect(s.calls.map((c) => (c.at - T0) / MINUTE)).toEqual([27])
  })

  it('skips a tick while the previous cycle runs, and says so at debug level', async () => {
    let release!: () => void
    const hold = new Promise<void>((r) => { release = r })
    const s = setup([running('a', '10m', T0)], { hold })
    await s.ready
    await s.clock.advanceTo(T0 + 10 * MINUTE)
    const first = s.cycle.run()
    await expect.poll(() => s.calls.length).toBe(1)
    expect(await s.cycle.run()).toBeNull()
    expect(s.debug).toContain('evaluate-cycle: previous cycle still running, tick skipped')
    release()
    expect((await first)?.due).toEqual(['a'])
    expect(s.calls).toHaveLength(1)
  })

  it('a failed cycle waits the interval before it tries again', async () => {
    const s = setup([running('a', '10m', T0)])
    await s.ready
    let fail = true
    const cycle = new EvaluateCycle({
      state: s.state, clock: s.clock, log: pino({ level: 'silent' }), warehouse: verdictsWarehouse(),
      evaluator: { evaluateMany: async (rs) => { s.calls.push({ at: s.clock.now(), ids: rs.map((r) => r.spec.id) }); if (fail) throw new Error('warehouse down'); return [] } },
    })
    s.clock.every(MINUTE, async () => { await cycle.run().catch(() => { fail = false }) })
    await s.clock.advanceTo(T0 + 20 * MINUTE)
    expect(s.calls.map((c) => (c.at - T0) / MINUTE)).toEqual([10, 20])
  })

  it('old per-experiment schedules are recognised for removal, the cycle itself is not', () => {
    expect(isLegacyEvaluationSchedule('evaluate-checkout-redesign')).toBe(true)
    expect(isLegacyEvaluationSchedule('evaluate-cycle')).toBe(false)
    expect(isLegacyEvaluationSchedule('schedule-queue')).toBe(false)
  })
})
