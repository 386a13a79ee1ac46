import { randomUUID } from 'node:crypto'
import type { ManualClock } from '../../src/adapters/clock/manual-clock.js'
import type { ExperimentRecord } from '../../src/domain/experiment-record.js'
import type { LifecycleState } from '../../src/domain/lifecycle.js'
import { ENGINE_VERSION, type Verdict } from '../../src/domain/verdict.js'
import type { Runtime } from '../../src/services/runtime.js'
import { specBody } from './embedded.js'

/** mulberry32: a small seeded PRNG, so a failing scenario can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface ScenarioStats {
  actions: number
  refused: number
  /** Controller outcomes by decision, e.g. `ramp:applied`, `pause:not_applicable`. */
  verdicts: Record<string, number>
}

/**
 * Drives `experiments` experiments through the real queue and controller with
 * random actions: enqueue (some refused by policy, then fixed and sent again),
 * scheduling, verdicts of every kind (some stale, some repeated, some awaiting
 * approval), people resuming, cancelling and archiving, and the clock moving.
 */
export async function runRandomScenario(rt: Runtime, clock: ManualClock, opts: { seed: number; experiments: number; actions: number; prefix: string }): Promise<ScenarioStats> {
  const rand = prng(opts.seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!
  const ids = Array.from({ length: opts.experiments }, (_, i) => `${opts.prefix}-${String(i).padStart(2, '0')}`)
  const spec = (id: string, valid: boolean) =>
    specBody({
      id,
      layer: `layer-${Number(id.slice(-2)) % 4}`,
      trafficShare: pick([20, 30, 50]),
      priority: Math.floor(rand() * 100),
      rollout: { steps: Array.from({ length: 3 + Math.floor(rand() * 2) }, (_, k) => ({ exposure: [5, 25, 50, 100][k]!, minDuration: 0 })) },
      ...(valid ? {} : { metrics: { primary: { name: 'conversion' } } }), // no guardrail: refused by policy
    })
  const verdictSeq = new Map<string, number>()
  const person = { type: 'person' as const, id: 'auditor-test' }
  const stats: ScenarioStats = { actions: 0, refused: 0, verdicts: {} }
  const byState = async (states: readonly LifecycleState[]) => (await rt.queue.list()).filter((r) => states.includes(r.state) && r.spec.id.startsWith(opts.prefix))
  const move = (id: string, from: readonly LifecycleState[], to: LifecycleState, reason: string) =>
    rt.queue.apply(id, (r: ExperimentRecord) => (from.includes(r.state) ? { request: { to, actor: person, reason, at: clock.now() } } : null))

  const actions: Array<[number, () => Promise<unknown>]> = [
    [6, async () => {
      const known = new Set((await rt.queue.list()).map((r) => r.spec.id))
      const next = ids.find((id) => !known.has(id))
      if (next) await rt.queue.enqueue(spec(next, rand() > 0.2), person)
    }],
    [2, async () => {
      const rejected = await byState(['rejected'])
      if (rejected.length > 0) await rt.queue.enqueue(spec(pick(rejected).spec.id, rand() > 0.3), person)
    }],
    [6, () => rt.queue.scheduleTick()],
    [16, async () => {
      const live = await byState(['running', 'paused'])
      if (live.length === 0) return
      const r = pick(live)
      // Numbered like the evaluator's verdicts (which run too, as the clock moves); sometimes a repeated delivery.
      const last = verdictSeq.get(r.spec.id) ?? 0
      const seq = rand() < 0.1 && last > 0 ? last : await rt.state.nextVerdictSeq(r.spec.id)
      verdictSeq.set(r.spec.id, seq)
      // Mostly moves that keep an experiment alive, so each one lives through many transitions.
      const decision = rand() < 0.1 ? pick(['rollback', 'complete'] as const) : pick(['continue', 'ramp', 'ramp', 'pause', 'pause', 'pause'] as const)
      const v: Verdict = {
        id: randomUUID(),
        experimentId: r.spec.id,
        seq,
        decision,
        step: rand() < 0.15 ? Math.max(0, r.step - 1) : r.step, // sometimes evidence from an older step
        reasons: [{ code: 'HEALTHY', message: `random ${decision}`, numbers: { draw: rand() } }],
        window: { from: clock.now() - 60_000, to: clock.now() },
        evaluatedAt: clock.now(),
        engineVersion: ENGINE_VERSION,
        needsApproval: decision === 'ramp' && rand() < 0.2,
      }
      const outcome = await rt.controller.apply(v)
      const key = `${decision}:${outcome.applied ? 'applied' : outcome.reason}`
      stats.verdicts[key] = (stats.verdicts[key] ?? 0) + 1
    }],
    [8, async () => {
      const paused = await byState(['paused'])
      if (paused.length > 0) await move(pick(paused).spec.id, ['paused'], 'running', 'resumed by a person')
    }],
    [1, async () => {
      const open = await byState(['queued', 'paused'])
      if (open.length > 0) await move(pick(open).spec.id, ['queued', 'paused'], 'cancelled', 'cancelled by a person')
    }],
    [2, async () => {
      const ended = await byState(['completed', 'rolled_back', 'cancelled', 'rejected'])
      if (ended.length > 0) await move(pick(ended).spec.id, ['completed', 'rolled_back', 'cancelled', 'rejected'], 'archived', 'archived')
    }],
    [6, async () => clock.advanceTo(clock.now() + 1 + Math.floor(rand() * 2 * 3_600_000))],
  ]
  const total = actions.reduce((s, [w]) => s + w, 0)
  for (let i = 0; i < opts.actions; i++) {
    let x = rand() * total
    const [, act] = actions.find(([w]) => (x -= w) < 0) ?? actions[0]!
    try {
      await act()
    } catch (error) {
      // A ramp past the last step and the like are refused by the lifecycle, as in production.
      if ((error as { code?: string }).code !== 'INVALID_TRANSITION') throw error
      stats.refused++
    }
    stats.actions++
  }
  return stats
}
