import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PolicyConfigSchema } from '../../src/domain/policy-config.js'
import { type Embedded, specBody, startEmbedded } from '../support/embedded.js'

/**
 * interference.action: block-start, through the real queue (the scheduler's cached start
 * policy): an experiment that would share a service with a running one in another layer
 * waits, refused with the rule and the other experiment named; overlapAllowed starts anyway;
 * once the running ones leave, the next tick starts the waiting one (the running set's
 * services are part of the cache key, so the cached refusal is not reused).
 */
const tester = { type: 'person' as const, id: 'tester' }
const spec = (id: string, layer: string, extra: Record<string, unknown> = {}) =>
  specBody({ id, layer, services: ['checkout'], rollout: { steps: [{ exposure: 100, minDuration: '1h' }] }, ...extra })

describe('block-start', () => {
  let rt: Embedded
  beforeAll(async () => {
    rt = await startEmbedded({ config: { policy: PolicyConfigSchema.parse({ defaults: { interference: { action: 'block-start' } } }) } })
  })
  afterAll(async () => {
    await rt.stop()
    rt.cleanup()
  })

  it('refuses an overlapping start until the overlap is gone; overlapAllowed starts', async () => {
    await rt.runtime.queue.enqueue(spec('bs-x', 'la'), tester)
    await rt.runtime.queue.scheduleTick()
    expect((await rt.runtime.queue.get('bs-x')).state).toBe('running')

    await rt.runtime.queue.enqueue(spec('bs-y', 'lb'), tester)
    await rt.runtime.queue.enqueue(spec('bs-z', 'lc', { overlapAllowed: true }), tester)
    await rt.runtime.queue.enqueue(spec('bs-w', 'la', { trafficShare: 10 }), tester)
    await rt.runtime.queue.enqueue(specBody({ id: 'bs-v', layer: 'ld', services: ['search'], rollout: { steps: [{ exposure: 100, minDuration: '1h' }] } }), tester)
    await rt.runtime.queue.scheduleTick()
    await rt.runtime.queue.scheduleTick()
    const y = await rt.runtime.queue.get('bs-y')
    expect(y.state).toBe('queued')
    expect(y.blockedBy?.map((f) => f.rule)).toEqual(['interference-overlap', 'interference-overlap'])
    expect(y.blockedBy?.[0]?.message).toMatch(/^would share units with running experiment bs-x on service checkout \(interference.action is block-start; set overlapAllowed: true to start anyway\)$/)
    expect(y.blockedBy?.[1]?.message).toMatch(/running experiment bs-z/)
    expect((await rt.runtime.queue.get('bs-z')).state).toBe('running')
    expect((await rt.runtime.queue.get('bs-v')).state).toBe('running')
    // bs-w shares a layer with bs-x (never a unit) but another layer with bs-z: only bs-z is named.
    const w = await rt.runtime.queue.get('bs-w')
    expect(w.state).toBe('queued')
    expect(w.blockedBy?.filter((f) => f.rule === 'interference-overlap').map((f) => f.message.match(/experiment (\S+)/)![1])).toEqual(['bs-z'])

    for (const id of ['bs-x', 'bs-z', 'bs-w']) if ((await rt.runtime.queue.get(id)).state === 'running') await rt.runtime.actions.act(id, 'pause', tester, 'make room')
    await rt.runtime.queue.scheduleTick()
    const after = await rt.runtime.queue.get('bs-y')
    expect(after.state).toBe('running')
    expect(after.blockedBy).toBeNull()
  })
})
