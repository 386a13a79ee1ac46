import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PolicyConfigSchema } from '../../src/domain/policy-config.js'
import { ENGINE_VERSION } from '../../src/domain/verdict.js'
import { type Embedded, T0, getJson, postJson, specBody, startEmbedded } from '../support/embedded.js'

/** The policy seen by people: why a start is held in `runway queue`, and approvals/resumes checked like ramps. */
const HOUR = 3_600_000
const iso = (ms: number) => new Date(ms).toISOString()
const policy = PolicyConfigSchema.parse({
  namespaces: {
    frozen: { freezes: [{ name: 'black-friday', start: iso(T0 + 2 * HOUR), end: iso(T0 + 30 * HOUR) }] },
    'four-eyes': { approvals: { separateApprover: true } },
  },
})

let rt: Embedded
beforeAll(async () => {
  rt = await startEmbedded({ config: { policy, scheduleIntervalMs: 10 * 60_000 } })
})
afterAll(async () => {
  await rt.stop()
  rt.cleanup()
})

const QUIET = { evaluation: { interval: '1d', staleAfter: '2d', minUnits: 20 } }
const act = (id: string, action: string, reason: string) => postJson(rt.baseUrl, `/v1/experiments/${id}/${action}`, { reason })

describe('policy in the queue and in people actions', () => {
  it('a start held by a freeze shows the policy reason in the queue; approve and resume are refused during the freeze', async () => {
    // Started before the freeze, with a ramp that waits for approval.
    await postJson(rt.baseUrl, '/v1/experiments', specBody({ id: 'fz-run', namespace: 'frozen', layer: 'a', ...QUIET, rollout: { steps: [{ exposure: 10, minDuration: 0, approval: true }, { exposure: 100, minDuration: 0 }] } }))
    await rt.runtime.queue.scheduleTick()
    expect((await rt.runtime.queue.get('fz-run')).state).toBe('running')
    const ramp = { id: randomUUID(), experimentId: 'fz-run', seq: 1, decision: 'ramp', step: 0, reasons: [], window: { from: T0, to: T0 }, evaluatedAt: rt.clock.now(), engineVersion: ENGINE_VERSION, needsApproval: true }
    await rt.runtime.controller.apply(ramp as never)
    expect((await rt.runtime.queue.get('fz-run')).pendingApproval).not.toBeNull()

    await rt.clock.advanceTo(T0 + 3 * HOUR) // inside the freeze
    await postJson(rt.baseUrl, '/v1/experiments', specBody({ id: 'fz-new', namespace: 'frozen', layer: 'b', ...QUIET }))
    await rt.runtime.queue.scheduleTick()
    const queue = (await getJson(rt.baseUrl, '/v1/queue')).body
    expect(queue.waiting).toEqual([expect.objectContaining({ experimentId: 'fz-new', reason: expect.stringMatching(/^policy: freeze-window/) })])
    expect((await getJson(rt.baseUrl, '/v1/experiments/fz-new')).body.experiment.blockedBy).toEqual([expect.objectContaining({ rule: 'freeze-window' })])

    const approve = await act('fz-run', 'approve', 'ship it')
    expect(approve.status).toBe(409)
    expect(approve.body.error).toMatchObject({ code: 'POLICY_REFUSED', message: expect.stringContaining('freeze-window') })
    expect((await rt.runtime.queue.get('fz-run')).step).toBe(0)

    const pause = await act('fz-run', 'pause', 'incident')
    expect(pause.status, JSON.stringify(pause.body)).toBe(200) // stopping is always allowed
    expect((await act('fz-run', 'resume', 'fixed')).body.error.code).toBe('POLICY_REFUSED')

    await rt.clock.advanceTo(T0 + 31 * HOUR) // the freeze is over
    expect((await act('fz-run', 'resume', 'fixed')).status).toBe(200)
    // The pause dropped the waiting ramp (a person's decision supersedes it): the next ramp verdict asks again.
    expect((await act('fz-run', 'approve', 'ship it')).body.error.code).toBe('NOTHING_TO_APPROVE')
    await rt.runtime.controller.apply({ ...ramp, id: randomUUID(), seq: 2, evaluatedAt: rt.clock.now() } as never)
    const approved = await act('fz-run', 'approve', 'ship it')
    expect(approved.status).toBe(200)
    expect(approved.body.experiment).toMatchObject({ state: 'running', step: 2 })
    expect((await rt.runtime.queue.get('fz-new')).state).toBe('running')
  })

  it('with approvals.separateApprover, whoever enqueued may not approve the ramps; another person may, and replay keeps the enqueuer', async () => {
    const as = (who: string) => ({ 'x-runway-actor': who })
    const gated = { ...QUIET, rollout: { steps: [{ exposure: 10, minDuration: 0, approval: true }, { exposure: 100, minDuration: 0 }] } }
    for (const [id, namespace] of [['fe-strict', 'four-eyes'], ['fe-default', 'default']] as const) {
      expect((await postJson(rt.baseUrl, '/v1/experiments', specBody({ id, namespace, layer: 'fe', ...gated }), as('alice'))).status).toBe(201)
    }
    await rt.runtime.queue.scheduleTick()
    for (const id of ['fe-strict', 'fe-default']) {
      expect((await getJson(rt.baseUrl, `/v1/experiments/${id}`)).body.experiment).toMatchObject({ state: 'running', enqueuedBy: { type: 'person', id: 'alice' } })
      const ramp = { id: randomUUID(), experimentId: id, seq: 1, decision: 'ramp', step: 0, reasons: [], window: { from: T0, to: T0 }, evaluatedAt: rt.clock.now(), engineVersion: ENGINE_VERSION, needsApproval: true }
      await rt.runtime.controller.apply(ramp as never)
    }
    const own = await postJson(rt.baseUrl, '/v1/experiments/fe-strict/approve', { reason: 'mine, looks fine' }, as('alice'))
    expect(own.status).toBe(409)
    expect(own.body.error).toMatchObject({ code: 'POLICY_REFUSED', details: { failures: [expect.objectContaining({ rule: 'separate-approver' })] } })
    expect((await rt.runtime.queue.get('fe-strict')).step).toBe(0)
    expect((await postJson(rt.baseUrl, '/v1/experiments/fe-strict/approve', { reason: 'reviewed' }, as('bob'))).status).toBe(200)
    // Where the rule is off (the built-in default), the enqueuer may approve.
    expect((await postJson(rt.baseUrl, '/v1/experiments/fe-default/approve', { reason: 'mine' }, as('alice'))).status).toBe(200)
    const replay = (await getJson(rt.baseUrl, '/v1/audit/replay')).body
    expect(replay.differences).toEqual([])
  })
})
