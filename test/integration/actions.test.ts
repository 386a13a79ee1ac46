import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ENGINE_VERSION } from '../../src/domain/verdict.js'
import { type Embedded, getJson, postJson, specBody, startEmbedded } from '../support/embedded.js'

let rt: Embedded
beforeAll(async () => {
  rt = await startEmbedded()
})
afterAll(async () => {
  await rt.stop()
  rt.cleanup()
})

const H = 3_600_000
const act = (id: string, action: string, reason: string | null = 'testing', actor = 'alice') =>
  postJson(rt.baseUrl, `/v1/experiments/${id}/${action}`, reason === null ? {} : { reason }, { 'x-runway-actor': actor })
const state = async (id: string) => (await getJson(rt.baseUrl, `/v1/experiments/${id}`)).body
const exposedCount = async (id: string) =>
  (await postJson(rt.baseUrl, '/v1/assign', { experimentId: id, units: Array.from({ length: 200 }, (_, i) => `u${i}`) })).body.assignments.filter((a: { exposed: boolean }) => a.exposed).length

async function running(id: string, over: Record<string, unknown> = {}) {
  expect((await postJson(rt.baseUrl, '/v1/experiments', specBody({ id, layer: id, ...over }))).status).toBe(201)
  await rt.runtime.queue.scheduleTick()
  expect((await state(id)).experiment.state).toBe('running')
}

describe('lifecycle for people', () => {
  it('pause stops exposure at once, resume brings it back; both on the ledger with actor and reason', async () => {
    await running('p-1')
    expect(await exposedCount('p-1')).toBeGreaterThan(0)
    const paused = await act('p-1', 'pause', 'checkout errors in eu-west')
    expect(paused.status).toBe(200)
    expect(paused.body.experiment.state).toBe('paused')
    expect(await exposedCount('p-1')).toBe(0)
    expect((await act('p-1', 'resume', 'fixed')).body.experiment.state).toBe('running')
    expect(await exposedCount('p-1')).toBeGreaterThan(0)
    const ledger = (await state('p-1')).ledger
    expect(ledger.slice(-2)).toMatchObject([
      { from: 'running', to: 'paused', actor: { type: 'person', id: 'alice' }, reason: 'pause: checkout errors in eu-west' },
      { from: 'paused', to: 'running', actor: { type: 'person', id: 'alice' }, reason: 'resume: fixed' },
    ])
  })

  it('rollback and cancel end an experiment; archive follows; an invalid move is 409', async () => {
    await running('p-2')
    expect((await act('p-2', 'rollback', 'bad metrics')).body.experiment.state).toBe('rolled_back')
    const again = await act('p-2', 'resume', 'oops')
    expect(again.status).toBe(409)
    expect(again.body.error.message).toContain('cannot move from rolled_back to running')
    expect((await act('p-2', 'archive', 'done')).body.experiment.state).toBe('archived')
    await postJson(rt.baseUrl, '/v1/experiments', specBody({ id: 'p-3', layer: 'p-3' }))
    expect((await act('p-3', 'cancel', 'not needed')).body.experiment.state).toBe('cancelled')
  })

  it('refuses an action without a reason, an unknown action, and an unknown experiment', async () => {
    await running('p-4')
    const noReason = await act('p-4', 'pause', null)
    expect(noReason.status).toBe(400)
    expect(noReason.body.error.details.problems).toEqual([{ path: 'reason', message: expect.any(String) }])
    expect((await act('p-4', 'explode')).status).toBe(400)
    expect((await act('nope', 'pause')).status).toBe(404)
    expect((await state('p-4')).experiment.state).toBe('running')
  })

  it('a ramp that needs approval waits for a person, then approve applies it', async () => {
    await running('p-5', { rollout: { steps: [{ exposure: 10, minDuration: 0, approval: true }, { exposure: 100, minDuration: 0 }] } })
    expect((await act('p-5', 'approve', 'go')).status).toBe(409) // nothing waits yet
    const verdict = { id: randomUUID(), experimentId: 'p-5', seq: 1, decision: 'ramp', step: 0, reasons: [], window: { from: 0, to: 0 }, evaluatedAt: rt.clock.now(), engineVersion: ENGINE_VERSION, needsApproval: true }
    expect(await rt.runtime.controller.apply(verdict as never)).toEqual({ applied: false, reason: 'awaiting_approval' })
    expect((await state('p-5')).experiment).toMatchObject({ state: 'running', step: 1, pendingApproval: { verdictId: verdict.id, toStep: 1 } })
    const approved = await act('p-5', 'approve', 'looks good', 'bob')
    expect(approved.status).toBe(200)
    expect(approved.body.experiment).toMatchObject({ state: 'running', step: 2, exposure: 100, pendingApproval: null })
    expect((await state('p-5')).ledger.at(-1)).toMatchObject({ actor: { type: 'person', id: 'bob' }, verdictId: verdict.id, reason: 'approved ramp to step 2: looks good' })
  })
})

describe('queue report and housekeeping', () => {
  it('shows each waiting experiment with its place and why it waits', async () => {
    await postJson(rt.baseUrl, '/v1/experiments', specBody({ id: 'q-hold', layer: 'busy', trafficShare: 70, priority: 10 }))
    await rt.runtime.queue.scheduleTick()
    await postJson(rt.baseUrl, '/v1/experiments', specBody({ id: 'q-a', layer: 'busy', trafficShare: 50, priority: 50 }))
    await postJson(rt.baseUrl, '/v1/experiments', specBody({ id: 'q-b', layer: 'busy', trafficShare: 10, priority: 5 }))
    await rt.runtime.queue.scheduleTick()
    const report = (await getJson(rt.baseUrl, '/v1/queue')).body
    const busy = report.waiting.filter((w: { layer: string }) => w.layer === 'default/busy')
    expect(busy).toEqual([
      expect.objectContaining({ experimentId: 'q-a', position: 1, reason: expect.stringContaining('30.00% free of 100%, needs 50%') }),
      expect.objectContaining({ experimentId: 'q-b', position: 2, reason: expect.stringContaining('behind q-a') }),
    ])
    expect(report.layers['default/busy']).toBeCloseTo(70, 6)
  })
})

describe('a ramp waiting for approval survives a restart', () => {
  it('is restored from its verdict, and cleared by a later transition', async () => {
    await running('r-1', { rollout: { steps: [{ exposure: 10, minDuration: 0, approval: true }, { exposure: 100, minDuration: 0 }] } })
    const at = rt.clock.now()
    const verdict = { id: randomUUID(), experimentId: 'r-1', seq: 1, decision: 'ramp', step: 0, reasons: [], window: { from: at, to: at }, evaluatedAt: at, engineVersion: ENGINE_VERSION, needsApproval: true }
    // As the evaluator records it, then delivers it.
    await rt.runtime.warehouse.insert('verdicts', [
      { id: verdict.id, experiment_id: 'r-1', seq: 1, decision: 'ramp', step: 0, reasons: '[]', window_from: '2026-03-02 00:00:00.000', window_to: '2026-03-02 00:00:00.000', evaluated_at: new Date(at).toISOString().replace('T', ' ').replace('Z', ''), engine_version: ENGINE_VERSION, needs_approval: true },
    ])
    await rt.runtime.controller.apply(verdict as never)
    expect((await state('r-1')).experiment.pendingApproval).toEqual({ verdictId: verdict.id, toStep: 1 })

    const dataDir = rt.dataDir
    await rt.stop()
    rt = await startEmbedded({ dataDir, now: at + 60_000 })
    expect((await state('r-1')).experiment.pendingApproval).toEqual({ verdictId: verdict.id, toStep: 1 })
    expect((await act('r-1', 'approve', 'after the restart')).body.experiment).toMatchObject({ step: 2, pendingApproval: null })

    await rt.stop()
    rt = await startEmbedded({ dataDir, now: at + 120_000 })
    expect((await state('r-1')).experiment).toMatchObject({ step: 2, pendingApproval: null })
  })
})
