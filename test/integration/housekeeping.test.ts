import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Embedded, getJson, postJson, specBody, startEmbedded } from '../support/embedded.js'

/**
 * Housekeeping on a runtime of its own: the 11-day walk runs every periodic job
 * (scheduler, auto-resume, interference, housekeeping) as the clock moves, so no
 * other test's running experiments are evaluated every 5 minutes of it.
 */
let rt: Embedded
beforeAll(async () => {
  rt = await startEmbedded()
})
afterAll(async () => {
  await rt.stop()
  rt.cleanup()
})

const H = 3_600_000
const act = (id: string, action: string, reason: string) =>
  postJson(rt.baseUrl, `/v1/experiments/${id}/${action}`, { reason }, { 'x-runway-actor': 'alice' })
const state = async (id: string) => (await getJson(rt.baseUrl, `/v1/experiments/${id}`)).body

describe('housekeeping', () => {
  it('expires a paused experiment at max duration and archives ended ones after retention', async () => {
    expect((await postJson(rt.baseUrl, '/v1/experiments', specBody({ id: 'c-1', layer: 'c-1' }))).status).toBe(201)
    expect((await act('c-1', 'cancel', 'not needed')).body.experiment.state).toBe('cancelled')
    expect((await postJson(rt.baseUrl, '/v1/experiments', specBody({ id: 'h-1', layer: 'h-1', maxDuration: '2d' }))).status).toBe(201)
    await rt.runtime.queue.scheduleTick()
    expect((await state('h-1')).experiment.state).toBe('running')
    await act('h-1', 'pause', 'investigating')
    // The periodic housekeeping job runs as the clock moves.
    await rt.clock.advanceTo(rt.clock.now() + 3 * 24 * H)
    expect((await state('h-1')).experiment.state).toBe('expired')
    expect((await state('h-1')).ledger.at(-1)).toMatchObject({ from: 'paused', to: 'expired', actor: { type: 'system', id: 'housekeeping' } })
    await rt.clock.advanceTo(rt.clock.now() + 8 * 24 * H)
    expect((await state('h-1')).experiment.state).toBe('archived')
    expect((await state('c-1')).experiment.state).toBe('archived') // cancelled 11 days ago
    expect((await state('c-1')).ledger.at(-1)).toMatchObject({ from: 'cancelled', to: 'archived', actor: { type: 'system', id: 'housekeeping' } })
    // Called directly, nothing is left to do.
    const plan = await rt.runtime.housekeep()
    expect(plan.expire).toEqual([])
    expect(plan.archive).toEqual([])
  }, 120_000)
})
