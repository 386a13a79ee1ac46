import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { PolicyConfigSchema } from '../../src/domain/policy-config.js'
import { ENGINE_VERSION, type Reason, type Verdict } from '../../src/domain/verdict.js'
import { compareReplay, verifyLedger } from '../../src/services/audit.js'
import { readLedger } from '../../src/services/ledger.js'
import { rebuildState } from '../../src/services/rebuild.js'
import { MemoryStateStore } from '../../src/adapters/state/memory-state.js'
import { VerdictRefusals } from '../../src/services/refusals.js'
import { type Embedded, T0, getJson, postJson, specBody, startEmbedded } from '../support/embedded.js'
import { waitFor } from '../support/gate.js'
import { TOPICS } from '../../src/ports/bus.js'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const iso = (ms: number) => new Date(ms).toISOString()

// Refused starts and held ramps (issue 14 item 4): on the record (API), the timeline and the ledger, once per change.
const policy = PolicyConfigSchema.parse({
  namespaces: {
    frozen: { freezes: [{ name: 'deploy-freeze', start: iso(T0 + HOUR), end: iso(T0 + 2 * HOUR) }] },
    rampfreeze: { freezes: [{ name: 'ramp-freeze', start: iso(T0 + 3 * HOUR), end: iso(T0 + 4 * HOUR) }] },
  },
})

let rt: Embedded
let refusals: VerdictRefusals
beforeAll(async () => {
  rt = await startEmbedded({ config: { policy } })
  refusals = new VerdictRefusals({ controller: rt.runtime.controller, queue: rt.runtime.queue })
})
afterAll(async () => {
  await rt.stop()
  rt.cleanup()
})

// Evaluations a day apart: no verdict but the test's own reaches these experiments.
const QUIET = { evaluation: { interval: '1d', staleAfter: '2d', minUnits: 20 } }
const enqueue = (over: Record<string, unknown>) => postJson(rt.baseUrl, '/v1/experiments', specBody({ ...QUIET, ...over }))
const timeline = async (id: string) => (await getJson(rt.baseUrl, `/v1/experiments/${id}/timeline`)).body as {
  blockedBy: Array<{ rule: string; message: string }> | null
  entries: Array<{ kind: string; from: string | null; to: string; step: number; codes: string[]; reason: string; actor: { type: string } }>
}
const shape = (t: Awaited<ReturnType<typeof timeline>>) => t.entries.map((e) => `${e.kind} ${e.from ?? '∅'}→${e.to} ${e.step}${e.codes.length ? ` ${e.codes.join(',')}` : ''}`)

let seq = 0
const verdict = (experimentId: string, step: number, decision: Verdict['decision'], reasons: Reason[]): Verdict => ({
  id: randomUUID(),
  experimentId,
  seq: ++seq,
  decision,
  step,
  reasons,
  window: { from: rt.clock.now(), to: rt.clock.now() },
  evaluatedAt: rt.clock.now(),
  engineVersion: ENGINE_VERSION,
  needsApproval: false,
})
const budget = (upper: number): Reason => ({
  code: 'ERROR_BUDGET_GATE',
  metric: 'error_rate',
  variant: 'treatment',
  message: `ramp held: error_rate error budget in treatment over 1h burns at 1× with upper bound ${upper}× > 1.5×`,
  numbers: { burnUpper: upper },
})
const noData: Reason = { code: 'GUARDRAIL_NO_DATA', metric: 'error_rate', message: 'guardrails without enough data (need 20 units per arm): error_rate/treatment 3+2 units', numbers: {} }
const rampReasons: Reason[] = [{ code: 'STEP_DURATION_MET', message: 'step held long enough', numbers: {} }]
// blockedBy as a restart sees it: the ledger rebuilt into an empty state store (services/rebuild.ts).
const rebuiltBlockedBy = async (id: string) => {
  const state = new MemoryStateStore()
  await rebuildState(rt.runtime.warehouse, state)
  return (await state.get(id))?.blockedBy ?? null
}

describe('refused starts and held ramps', () => {
  it('a start refused for hours is one refusal on the timeline and the ledger; the start then shows as usual', async () => {
    await rt.clock.advanceTo(T0 + HOUR + MINUTE)
    expect((await enqueue({ id: 'rf-start', namespace: 'frozen', layer: 'rf-start' })).status).toBe(201)
    for (let m = 2; m <= 50; m += 16) {
      await rt.clock.advanceTo(T0 + HOUR + m * MINUTE)
      await rt.runtime.queue.scheduleTick()
    }
    const held = await timeline('rf-start')
    expect(held.blockedBy).toEqual([{ rule: 'freeze-window', path: 'freezes', message: expect.stringContaining('deploy-freeze') }])
    expect(shape(held)).toEqual(['transition draft→queued 1', 'refusal queued→queued 1 POLICY_REFUSED,freeze-window'])
    expect(held.entries[1]!.reason).toContain('start refused: freeze-window: no start during freeze window deploy-freeze')
    expect(held.entries[1]!.actor.type).toBe('policy')
    // The API's experiment view and ledger say the same.
    const detail = (await getJson(rt.baseUrl, '/v1/experiments/rf-start')).body
    expect(detail.experiment.blockedBy[0].rule).toBe('freeze-window')
    expect(detail.ledger.map((e: { codes: string[] }) => e.codes)).toEqual([[], ['POLICY_REFUSED', 'freeze-window']])
    // A restart restores the refusal as the live path set it (rule, path, message), from its ledger entry.
    expect(await rebuiltBlockedBy('rf-start')).toEqual(held.blockedBy)

    await rt.clock.advanceTo(T0 + 2 * HOUR)
    await rt.runtime.queue.scheduleTick()
    const started = await timeline('rf-start')
    expect(started.blockedBy).toBeNull()
    expect(shape(started).slice(2)).toEqual(['transition queued→scheduled 1', 'transition scheduled→running 1'])
    const ledger = await readLedger(rt.runtime.warehouse, 'rf-start')
    expect(ledger.map((e) => e.seq)).toEqual([1, 2, 3, 4])
    // The start came after the refusal: nothing holds it after a restart either.
    expect(await rebuiltBlockedBy('rf-start')).toBeNull()
  })

  it('a ramp held by the error-budget gate is one entry; another hold code is a second; the ramp then shows as usual', async () => {
    expect((await enqueue({ id: 'rf-ramp', layer: 'rf-ramp' })).status).toBe(201)
    await rt.runtime.queue.scheduleTick()
    expect((await rt.runtime.queue.get('rf-ramp')).state).toBe('running')
    expect(await refusals.apply(verdict('rf-ramp', 0, 'continue', [budget(4.7)]))).toEqual({ applied: false, reason: 'no_change' })
    const first = (await rt.runtime.queue.get('rf-ramp')).blockedBy
    expect(first).toEqual([{ rule: 'ERROR_BUDGET_GATE', path: 'metrics.guardrails[0]', message: expect.stringContaining('upper bound 4.7×') }])
    expect(await rebuiltBlockedBy('rf-ramp')).toEqual(first)
    for (const upper of [3.1, 2.2]) {
      expect(await refusals.apply(verdict('rf-ramp', 0, 'continue', [budget(upper)]))).toEqual({ applied: false, reason: 'no_change' })
    }
    const held = await timeline('rf-ramp')
    expect(shape(held).slice(3)).toEqual(['refusal running→running 1 ERROR_BUDGET_GATE'])
    expect(held.entries[3]!.reason).toContain('ramp held: ERROR_BUDGET_GATE: ramp held: error_rate error budget in treatment over 1h burns at 1× with upper bound 4.7×')
    // The record keeps the newest figures (API), the ledger the first refusal only.
    expect(held.blockedBy).toEqual([{ rule: 'ERROR_BUDGET_GATE', path: 'metrics.guardrails[0]', message: expect.stringContaining('upper bound 2.2×') }])

    await refusals.apply(verdict('rf-ramp', 0, 'continue', [noData]))
    await refusals.apply(verdict('rf-ramp', 0, 'continue', [noData]))
    expect(shape(await timeline('rf-ramp')).slice(3)).toEqual(['refusal running→running 1 ERROR_BUDGET_GATE', 'refusal running→running 1 GUARDRAIL_NO_DATA'])
    // The newest refusal entry is the one a restart restores.
    expect(await rebuiltBlockedBy('rf-ramp')).toEqual((await rt.runtime.queue.get('rf-ramp')).blockedBy)
    expect(await rebuiltBlockedBy('rf-ramp')).toEqual([expect.objectContaining({ rule: 'GUARDRAIL_NO_DATA', path: 'metrics.guardrails[0]' })])

    expect(await refusals.apply(verdict('rf-ramp', 0, 'ramp', rampReasons))).toEqual({ applied: true, to: 'running' })
    const ramped = await timeline('rf-ramp')
    expect(ramped.blockedBy).toBeNull()
    expect(shape(ramped).slice(5)).toEqual(['transition running→running 2 STEP_DURATION_MET'])
    expect(await rebuiltBlockedBy('rf-ramp')).toBeNull()
    // On the last step a hold keeps the completion waiting (later than the ramp: a replay must keep the step's start).
    await rt.clock.advanceTo(rt.clock.now() + 10 * MINUTE)
    await refusals.apply(verdict('rf-ramp', 1, 'continue', [noData, { code: 'PRIMARY_CONCLUSIVE', message: 'primary conclusive; completing once every guardrail has data', numbers: {} }]))
    const last = await timeline('rf-ramp')
    expect(shape(last).slice(6)).toEqual(['refusal running→running 2 GUARDRAIL_NO_DATA'])
    expect(last.entries[6]!.reason).toMatch(/^completion held: GUARDRAIL_NO_DATA/)
    expect(await rebuiltBlockedBy('rf-ramp')).toEqual(last.blockedBy)
    // A continue without a hold lifts it from the record, without a ledger entry.
    await refusals.apply(verdict('rf-ramp', 1, 'continue', [{ code: 'PRIMARY_INCONCLUSIVE', message: 'primary p=0.4', numbers: {} }]))
    expect((await timeline('rf-ramp')).blockedBy).toBeNull()
    expect((await timeline('rf-ramp')).entries).toHaveLength(7)
  })

  it('a ramp the policy refuses is one entry while the refusal lasts, then the ramp', async () => {
    await rt.clock.advanceTo(T0 + 2 * HOUR + 30 * MINUTE)
    expect((await enqueue({ id: 'rf-policy', namespace: 'rampfreeze', layer: 'rf-policy' })).status).toBe(201)
    await rt.runtime.queue.scheduleTick()
    await rt.clock.advanceTo(T0 + 3 * HOUR + MINUTE)
    for (let i = 0; i < 3; i++) {
      expect(await refusals.apply(verdict('rf-policy', 0, 'ramp', rampReasons))).toEqual({ applied: false, reason: 'policy_refused' })
    }
    const held = await timeline('rf-policy')
    expect(shape(held).slice(3)).toEqual(['refusal running→running 1 POLICY_REFUSED,freeze-window'])
    expect(held.entries[3]!.reason).toContain('ramp held: freeze-window: no ramp during freeze window ramp-freeze')
    expect(await rebuiltBlockedBy('rf-policy')).toEqual(held.blockedBy)
    expect(held.blockedBy).toEqual([expect.objectContaining({ rule: 'freeze-window', path: 'freezes' })])
    await rt.clock.advanceTo(T0 + 4 * HOUR)
    expect(await refusals.apply(verdict('rf-policy', 0, 'ramp', rampReasons))).toEqual({ applied: true, to: 'running' })
    expect(shape(await timeline('rf-policy')).slice(4)).toEqual(['transition running→running 2 STEP_DURATION_MET'])
  })

  it('the running service records a held ramp from a verdict on the verdict topic (the controller consumer)', async () => {
    expect((await enqueue({ id: 'rf-bus', layer: 'rf-bus' })).status).toBe(201)
    await rt.runtime.queue.scheduleTick()
    expect((await rt.runtime.queue.get('rf-bus')).state).toBe('running')
    await rt.runtime.bus.publish(TOPICS.verdicts, 'rf-bus', verdict('rf-bus', 0, 'continue', [noData]))
    await waitFor(async () => shape(await timeline('rf-bus')).length > 3, 10_000, 'the held ramp on the timeline')
    expect(shape(await timeline('rf-bus')).slice(3)).toEqual(['refusal running→running 1 GUARDRAIL_NO_DATA'])
    expect((await timeline('rf-bus')).blockedBy).toEqual([expect.objectContaining({ rule: 'GUARDRAIL_NO_DATA' })])
  })

  it('recording refusals costs no state read beyond those of the controller, whose record of the verdict is reused', async () => {
    for (const id of ['rf-reads-a', 'rf-reads-b']) expect((await enqueue({ id, layer: id })).status).toBe(201)
    await rt.runtime.queue.scheduleTick()
    // Reads of one experiment's record while one verdict is applied, through VerdictRefusals or the controller alone.
    const readsOf = async (id: string, run: () => Promise<unknown>) => {
      const spy = vi.spyOn(rt.runtime.state, 'get')
      try {
        await run()
        return spy.mock.calls.filter(([x]) => x === id).length
      } finally {
        spy.mockRestore()
      }
    }
    // Twins in the same state take the same path through the controller; a verdict that records nothing
    // (an applied ramp, an older one) must read exactly as often through VerdictRefusals.
    const ramp = (id: string) => verdict(id, 0, 'ramp', rampReasons)
    const [a, b] = [ramp('rf-reads-a'), ramp('rf-reads-b')]
    const viaRefusals = await readsOf('rf-reads-a', () => refusals.apply(a))
    const viaController = await readsOf('rf-reads-b', () => rt.runtime.controller.apply(b))
    expect(viaController).toBeGreaterThan(0)
    expect(viaRefusals).toBe(viaController)
    expect((await rt.runtime.queue.get('rf-reads-a')).step).toBe(1)
    expect(await readsOf('rf-reads-a', () => refusals.apply(a))).toBe(await readsOf('rf-reads-b', () => rt.runtime.controller.apply(b)))
    // A hold: the controller's reads, and one for recording it (its compare-and-set read).
    const holdA = verdict('rf-reads-a', 1, 'continue', [noData])
    const holdB = verdict('rf-reads-b', 1, 'continue', [noData])
    const held = await readsOf('rf-reads-a', () => refusals.apply(holdA))
    expect(held).toBe((await readsOf('rf-reads-b', () => rt.runtime.controller.apply(holdB))) + 1)
    expect((await rt.runtime.queue.get('rf-reads-a')).blockedBy).toEqual([expect.objectContaining({ rule: 'GUARDRAIL_NO_DATA' })])
  })

  it('refusal entries are links of the hash chain: the ledger verifies, and a replay after the moves matches live state', async () => {
    const live = await rt.runtime.queue.list()
    const verify = await verifyLedger(rt.runtime.warehouse, live)
    expect(verify.problems).toEqual([])
    expect(verify.ok).toBe(true)
    // rf-ramp ends on a held completion: the rebuild (services/rebuild.ts) must not restart the step's
    // clock at that running → running refusal entry, so every experiment's replay matches.
    const replay = await compareReplay(rt.runtime.warehouse, live)
    expect(live.map((r) => r.spec.id)).toEqual(expect.arrayContaining(['rf-start', 'rf-ramp', 'rf-policy']))
    expect(replay.differences).toEqual([])
  })
})
