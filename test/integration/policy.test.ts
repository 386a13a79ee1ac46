import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PolicyConfigSchema } from '../../src/domain/policy-config.js'
import { ENGINE_VERSION, type Verdict } from '../../src/domain/verdict.js'
import { type Embedded, T0, postJson, specBody, startEmbedded } from '../support/embedded.js'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const iso = (ms: number) => new Date(ms).toISOString()

// Each rule gets its own namespace, so one runtime (and one clock) serves every test.
const policy = PolicyConfigSchema.parse({
  namespaces: {
    frozen: {
      freezes: [
        { name: 'deploy-freeze', start: iso(T0 + HOUR), end: iso(T0 + 2 * HOUR) },
        { name: 'incident-review', start: iso(T0 + 3 * HOUR), end: iso(T0 + 4 * HOUR) },
      ],
    },
    lab: { maxExposure: { chaos: 1 } },
    quota: { quotas: { runningPerTeam: 1 } },
  },
  slos: { checkout: { metric: 'error_rate', objective: 0.99 } },
})

let rt: Embedded
beforeAll(async () => {
  rt = await startEmbedded({ config: { policy } })
})
afterAll(async () => {
  await rt.stop()
  rt.cleanup()
})

// Time moves with advanceTo, which fires the scheduler's timer; evaluations are kept a day
// apart so that no verdict other than the test's own reaches these experiments.
const QUIET = { evaluation: { interval: '1d', staleAfter: '2d', minUnits: 20 } }
const enqueue = (over: Record<string, unknown>) => postJson(rt.baseUrl, '/v1/experiments', specBody({ ...QUIET, ...over }))
const record = (id: string) => rt.runtime.queue.get(id)

const verdict = (experimentId: string, seq: number, step: number): Verdict => ({
  id: randomUUID(),
  experimentId,
  seq,
  decision: 'ramp',
  step,
  reasons: [{ code: 'STEP_DURATION_MET', message: 'step held long enough', numbers: {} }],
  window: { from: rt.clock.now(), to: rt.clock.now() },
  evaluatedAt: rt.clock.now(),
  engineVersion: ENGINE_VERSION,
  needsApproval: false,
})

describe('policy on the embedded engine', () => {
  it('a freeze window holds the start (reasons on the record) and refuses a ramp until it ends', async () => {
    await rt.clock.advanceTo(T0 + HOUR + MINUTE)
    expect((await enqueue({ id: 'frz', namespace: 'frozen', layer: 'frz' })).status).toBe(201)
    await rt.runtime.queue.scheduleTick()
    const held = await record('frz')
    expect(held.state).toBe('queued')
    expect(held.blockedBy).toEqual([{ rule: 'freeze-window', path: 'freezes', message: expect.stringContaining('deploy-freeze') }])

    await rt.clock.advanceTo(T0 + 2 * HOUR)
    await rt.runtime.queue.scheduleTick()
    expect(await record('frz')).toMatchObject({ state: 'running', step: 0, blockedBy: null })

    await rt.clock.advanceTo(T0 + 3 * HOUR + MINUTE)
    expect(await rt.runtime.controller.apply(verdict('frz', 1, 0))).toEqual({ applied: false, reason: 'policy_refused' })
    const refused = await record('frz')
    expect(refused).toMatchObject({ state: 'running', step: 0, lastAppliedVerdictSeq: 1 })
    expect(refused.blockedBy![0]).toMatchObject({ rule: 'freeze-window', message: expect.stringContaining('no ramp during freeze window incident-review') })

    await rt.clock.advanceTo(T0 + 4 * HOUR)
    expect(await rt.runtime.controller.apply(verdict('frz', 2, 0))).toEqual({ applied: true, to: 'running' })
    expect(await record('frz')).toMatchObject({ state: 'running', step: 1, blockedBy: null })
  })

  it('the error-budget gate reads real events from the warehouse and holds a start while the service burns', async () => {
    await rt.clock.advanceTo(T0 + 5 * HOUR)
    expect((await enqueue({ id: 'burner', layer: 'burner' })).status).toBe(201)
    // 200 error_rate outcomes on checkout in the last 10 minutes, 10% bad: a burn rate of 10× on a 99% SLO.
    const lines = Array.from({ length: 200 }, (_, i) =>
      JSON.stringify({
        eventId: `burn-${i}`,
        ts: rt.clock.now() - 10 * MINUTE + i * 1000,
        experimentId: 'burner',
        variant: i % 2 ? 'treatment' : 'control',
        unitId: `u-${i}`,
        service: 'checkout',
        metric: 'error_rate',
        outcome: i % 10 === 0,
      }),
    )
    const res = await fetch(`${rt.baseUrl}/v1/events`, { method: 'POST', body: lines.join('\n'), headers: { 'content-type': 'application/x-ndjson' } })
    expect(((await res.json()) as { accepted: number }).accepted).toBe(200)

    expect((await enqueue({ id: 'victim', layer: 'victim', services: ['checkout'] })).status).toBe(201)
    expect((await enqueue({ id: 'bystander', layer: 'bystander', services: ['search'] })).status).toBe(201)
    await rt.runtime.queue.scheduleTick()
    expect((await record('bystander')).state).toBe('running') // no SLO for search: not gated
    const held = await record('victim')
    expect(held.state).toBe('queued')
    expect(held.blockedBy).toEqual([{ rule: 'error-budget', path: 'services[0]', message: expect.stringContaining('burns its error budget at 10× (upper bound 14.2×) over the last 15m') }])
    expect(held.blockedBy![0]!.message).toContain('20 of 200 error_rate events bad')

    // Fifteen minutes later the bad events are out of the window.
    await rt.clock.advanceTo(T0 + 5 * HOUR + 16 * MINUTE)
    await rt.runtime.queue.scheduleTick()
    expect(await record('victim')).toMatchObject({ state: 'running', blockedBy: null })
  })

  it('caps exposure by kind: a plan above the cap is refused at enqueue with every step named', async () => {
    const steps = (...exposures: number[]) => ({ steps: exposures.map((exposure) => ({ exposure, minDuration: '1h' })) })
    const refused = await enqueue({ id: 'chaos-big', namespace: 'lab', layer: 'chaos', kind: 'chaos', rollout: steps(1, 5, 20) })
    expect(refused.status).toBe(422)
    expect(refused.body.failures.map((f: { rule: string; path: string }) => `${f.rule} ${f.path}`)).toEqual([
      'max-exposure rollout.steps[1].exposure',
      'max-exposure rollout.steps[2].exposure',
    ])
    expect((await record('chaos-big')).state).toBe('rejected')

    expect((await enqueue({ id: 'chaos-small', namespace: 'lab', layer: 'chaos', kind: 'chaos', rollout: steps(0.5, 1) })).status).toBe(201)
    await rt.runtime.queue.scheduleTick()
    expect((await record('chaos-small')).state).toBe('running')
    // A canary in the same namespace has no cap.
    expect((await enqueue({ id: 'canary-big', namespace: 'lab', layer: 'canary', kind: 'canary', rollout: steps(50, 100) })).status).toBe(201)
  })

  it('a team quota lets one of two start in the same tick; the other waits with the reason', async () => {
    expect((await enqueue({ id: 'q1', namespace: 'quota', layer: 'q1', owner: 'team-q', priority: 200 })).status).toBe(201)
    expect((await enqueue({ id: 'q2', namespace: 'quota', layer: 'q2', owner: 'team-q' })).status).toBe(201)
    expect((await enqueue({ id: 'q3', namespace: 'quota', layer: 'q3', owner: 'someone-else', team: 'team-r' })).status).toBe(201)
    await rt.runtime.queue.scheduleTick()
    expect((await record('q1')).state).toBe('running')
    expect((await record('q3')).state).toBe('running')
    const q2 = await record('q2')
    expect(q2.state).toBe('queued')
    expect(q2.blockedBy).toEqual([{ rule: 'quota-team', path: 'team', message: expect.stringContaining('team team-q already runs 1 experiment(s) in namespace quota (quota 1)') }])

    await rt.runtime.actions.act('q1', 'cancel', { type: 'person', id: 'tester' }, 'make room')
    await rt.runtime.queue.scheduleTick()
    expect(await record('q2')).toMatchObject({ state: 'running', blockedBy: null })
  })

  it('refuses at enqueue with every failed rule, through HTTP', async () => {
    const res = await enqueue({ id: 'bad', owner: '', hypothesis: ' ', variants: [{ name: 'a', weight: 10 }, { name: 'b', weight: 10 }] })
    expect(res.status).toBe(422)
    expect(res.body.failures.map((f: { rule: string }) => f.rule)).toEqual(['owner-required', 'hypothesis-required', 'weights-sum-100'])
  })
})
