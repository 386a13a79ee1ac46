import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ENGINE_VERSION, type Verdict } from '../../src/domain/verdict.js'
import { TOPICS } from '../../src/ports/bus.js'
import { type Embedded, getJson, postJson, specBody, startEmbedded } from '../support/embedded.js'

let rt: Embedded
beforeAll(async () => {
  rt = await startEmbedded()
})
afterAll(async () => {
  await rt.stop()
  rt.cleanup()
})

const verdict = (over: Partial<Verdict>): Verdict => ({
  id: randomUUID(),
  experimentId: 'q-run',
  seq: 1,
  decision: 'continue',
  step: 0,
  reasons: [{ code: 'HEALTHY', message: 'test', numbers: {} }],
  window: { from: rt.clock.now(), to: rt.clock.now() },
  evaluatedAt: rt.clock.now(),
  engineVersion: ENGINE_VERSION,
  needsApproval: false,
  ...over,
})

describe('queue over the API', () => {
  it('enqueues a JSON spec and a YAML spec', async () => {
    const a = await postJson(rt.baseUrl, '/v1/experiments', specBody({ id: 'q-json' }))
    expect(a.status).toBe(201)
    expect(a.body.experiment).toMatchObject({ id: 'q-json', state: 'queued', step: 1, exposure: 0 })
    const yaml = `id: q-yaml\nlayer: other\nowner: me\nhypothesis: h\nvariants:\n  - {name: a, weight: 50}\n  - {name: b, weight: 50}\nmetrics:\n  primary: {name: m}\n  guardrails: [{name: g, direction: decrease}]\n`
    const res = await fetch(`${rt.baseUrl}/v1/experiments`, { method: 'POST', body: yaml, headers: { 'content-type': 'application/yaml' } })
    expect(res.status).toBe(201)
  })

  it('refuses by policy with every failed rule, and records the rejection', async () => {
    const res = await postJson(rt.baseUrl, '/v1/experiments', specBody({ id: 'q-bad', owner: '', hypothesis: '', metrics: { primary: { name: 'm' } }, variants: [{ name: 'a', weight: 30 }, { name: 'b', weight: 30 }] }))
    expect(res.status).toBe(422)
    expect(res.body.failures.map((f: { rule: string }) => f.rule).sort()).toEqual(['guardrail-required', 'hypothesis-required', 'owner-required', 'weights-sum-100'])
    const detail = await getJson(rt.baseUrl, '/v1/experiments/q-bad')
    expect(detail.body.experiment.state).toBe('rejected')
    expect(detail.body.ledger[0]).toMatchObject({ from: 'draft', to: 'rejected' })
    // Fixed and sent again, it is accepted as a new revision.
    expect((await postJson(rt.baseUrl, '/v1/experiments', specBody({ id: 'q-bad', layer: 'fixed' }))).status).toBe(201)
  })

  it('answers 400 with field paths for a malformed spec and 409 for a duplicate id', async () => {
    const bad = await postJson(rt.baseUrl, '/v1/experiments', specBody({ id: 'Bad Id!', variants: [{ name: 'a', weight: 50 }, { name: 'b', weight: -1 }] }))
    expect(bad.status).toBe(400)
    const paths = bad.body.error.details.problems.map((p: { path: string }) => p.path)
    expect(paths).toContain('id')
    expect(paths).toContain('variants[1].weight')
    const dup = await postJson(rt.baseUrl, '/v1/experiments', specBody({ id: 'q-json' }))
    expect(dup.status).toBe(409)
    expect((await postJson(rt.baseUrl, '/v1/experiments', 'id: [unclosed')).status).toBe(400)
  })

  it('schedules by priority then enqueue time within a layer', async () => {
    const shared = { layer: 'prio', trafficShare: 60 }
    await postJson(rt.baseUrl, '/v1/experiments', specBody({ id: 'p-low', priority: 10, ...shared }))
    rt.clock.advanceTo(rt.clock.now() + 1) // distinct enqueue times
    await postJson(rt.baseUrl, '/v1/experiments', specBody({ id: 'p-high', priority: 50, ...shared }))
    await postJson(rt.baseUrl, '/v1/experiments', specBody({ id: 'p-high-later', priority: 50, ...shared }))
    await rt.runtime.queue.scheduleTick()
    const state = async (id: string) => (await getJson(rt.baseUrl, `/v1/experiments/${id}`)).body.experiment.state
    expect(await state('p-high')).toBe('running')
    expect(await state('p-high-later')).toBe('queued') // 60% + 60% > 100%
    expect(await state('p-low')).toBe('queued')
  })

  it('lists experiments with state, step and exposure', async () => {
    const list = await getJson(rt.baseUrl, '/v1/experiments')
    const byId = new Map(list.body.experiments.map((e: { id: string }) => [e.id, e]))
    expect(byId.get('q-json')).toMatchObject({ state: 'running', step: 1, exposure: 10 })
  })
})

describe('gate and controller', () => {
  beforeAll(async () => {
    await postJson(rt.baseUrl, '/v1/experiments', specBody({ id: 'q-run', layer: 'run', rollout: { steps: [{ exposure: 50, minDuration: 0 }, { exposure: 100, minDuration: 0 }] } }))
    await rt.runtime.queue.scheduleTick()
  })

  it('assigns deterministically and honours exposure', async () => {
    const answers = await Promise.all(Array.from({ length: 400 }, (_, i) => getJson(rt.baseUrl, `/v1/assign?experiment=q-run&unit=user-${i}`)))
    const exposed = answers.filter((a) => a.body.exposed)
    expect(exposed.length).toBeGreaterThan(140)
    expect(exposed.length).toBeLessThan(260)
    const again = await getJson(rt.baseUrl, '/v1/assign?experiment=q-run&unit=user-7')
    expect(again.body).toEqual(answers[7]!.body)
    expect((await getJson(rt.baseUrl, '/v1/assign?experiment=q-run')).status).toBe(400)
    expect((await getJson(rt.baseUrl, '/v1/assign?experiment=missing&unit=u')).status).toBe(404)
  })

  it('applies a verdict once, ignores older ones, and the gate stops exposing on pause', async () => {
    const ramp = verdict({ seq: 5, decision: 'ramp', step: 0 })
    await rt.runtime.bus.publish(TOPICS.verdicts, 'q-run', ramp)
    await rt.runtime.bus.publish(TOPICS.verdicts, 'q-run', ramp) // delivered twice
    let detail = await getJson(rt.baseUrl, '/v1/experiments/q-run')
    expect(detail.body.experiment).toMatchObject({ state: 'running', step: 2, exposure: 100, lastAppliedVerdictSeq: 5 })
    expect(detail.body.ledger.filter((e: { to: string; from: string }) => e.from === 'running' && e.to === 'running')).toHaveLength(1)

    const older = verdict({ seq: 4, decision: 'rollback', step: 1 })
    expect(await rt.runtime.controller.apply(older)).toEqual({ applied: false, reason: 'older_than_last_applied' })

    const pause = verdict({ seq: 6, decision: 'pause', step: 1 })
    expect(await rt.runtime.controller.apply(pause)).toEqual({ applied: true, to: 'paused' })
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => getJson(rt.baseUrl, `/v1/assign?experiment=q-run&unit=user-${i}`)))
    expect(answers.every((a) => a.body.exposed === false && a.body.state === 'paused')).toBe(true)
    detail = await getJson(rt.baseUrl, '/v1/experiments/q-run')
    const last = detail.body.ledger.at(-1)
    expect(last).toMatchObject({ from: 'running', to: 'paused', verdictId: pause.id, actor: { type: 'verdict', id: pause.id } })
  })

  it('rebuilds the same state from the ledger after a restart', async () => {
    const before = (await getJson(rt.baseUrl, '/v1/experiments')).body.experiments
    await rt.stop()
    rt = await startEmbedded({ dataDir: rt.dataDir, now: rt.clock.now() })
    const after = (await getJson(rt.baseUrl, '/v1/experiments')).body.experiments
    expect(after).toEqual(before)
  })
})
