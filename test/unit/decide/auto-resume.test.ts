/** Auto-resume after a telemetry pause: only a verdict's telemetry pause, only after the hold time of healthy telemetry. */
import { describe, expect, it } from 'vitest'
import { autoResumeDecision } from '../../../src/decide/auto-resume.js'
import { decide } from '../../../src/decide/decide.js'
import { DEFAULT_POLICY_CONFIG, PolicyConfigSchema, rulesFor } from '../../../src/domain/policy-config.js'
import { HOUR, MINUTE, T0, evaluationFixture, recordFixture, runningRecord, unitsFixture } from '../../support/fixtures.js'

const PAUSED_AT = T0 + 60 * MINUTE
const paused = { ...runningRecord(), state: 'paused' as const }
const verdictPause = { to: 'paused' as const, at: PAUSED_AT, actor: { type: 'verdict' as const, id: 'v7' }, codes: ['TELEMETRY_STALE'] }
const rules = { enabled: true, hold: 15 * MINUTE }
/** Telemetry back from `from` minutes after the pause, newest `ago` minutes before now. */
const flowing = (from: number, now: number, ago = 1) => ({ firstEventMs: PAUSED_AT + from * MINUTE, lastEventMs: now - ago * MINUTE, events: 500 })

describe('autoResumeDecision', () => {
  it('resumes once telemetry has flowed for the hold time, saying so', () => {
    const now = PAUSED_AT + 30 * MINUTE
    const d = autoResumeDecision({ record: paused, pause: verdictPause, telemetry: flowing(10, now), now, rules })
    expect(d).toMatchObject({ resume: true, codes: ['AUTO_RESUMED'] })
    expect(d.resume && d.reason).toContain('telemetry healthy for 20m (hold 15m; 500 events since the TELEMETRY_STALE pause')
  })

  it('holds while telemetry has flowed for less than the hold time', () => {
    const now = PAUSED_AT + 30 * MINUTE
    expect(autoResumeDecision({ record: paused, pause: verdictPause, telemetry: flowing(16, now), now, rules })).toEqual({ resume: false, why: 'holding' })
  })

  it('does not resume on telemetry that stopped again (newest event older than staleAfter)', () => {
    const now = PAUSED_AT + 120 * MINUTE
    expect(autoResumeDecision({ record: paused, pause: verdictPause, telemetry: flowing(10, now, 31), now, rules })).toEqual({ resume: false, why: 'stale' })
  })

  it("never resumes a person's pause", () => {
    const now = PAUSED_AT + 30 * MINUTE
    const pause = { ...verdictPause, actor: { type: 'person' as const, id: 'alice' }, codes: [] }
    expect(autoResumeDecision({ record: paused, pause, telemetry: flowing(1, now), now, rules })).toEqual({ resume: false, why: 'person-paused' })
  })

  it('never resumes a pause for anything but telemetry (harm, SRM, SLO)', () => {
    const now = PAUSED_AT + 30 * MINUTE
    for (const codes of [['GUARDRAIL_HARM'], ['SRM'], ['SLO_BURN_CONTROL'], ['TELEMETRY_STALE', 'SRM'], []]) {
      expect(autoResumeDecision({ record: paused, pause: { ...verdictPause, codes }, telemetry: flowing(1, now), now, rules })).toEqual({ resume: false, why: 'not-a-telemetry-pause' })
    }
  })

  it('off in the policy: stays paused; not paused: nothing to do', () => {
    const now = PAUSED_AT + 30 * MINUTE
    expect(autoResumeDecision({ record: paused, pause: verdictPause, telemetry: flowing(1, now), now, rules: { ...rules, enabled: false } })).toEqual({ resume: false, why: 'disabled' })
    expect(autoResumeDecision({ record: recordFixture({ state: 'running' }), pause: verdictPause, telemetry: flowing(1, now), now, rules }).resume).toBe(false)
  })
})

describe('policy.autoResume', () => {
  it('defaults on with a 15 minute hold; a namespace can turn it off or change the hold', () => {
    expect(rulesFor(DEFAULT_POLICY_CONFIG, 'default').autoResume).toEqual({ enabled: true, hold: 15 * MINUTE })
    const config = PolicyConfigSchema.parse({ namespaces: { payments: { autoResume: { enabled: false } }, search: { autoResume: { hold: '1h' } } } })
    expect(rulesFor(config, 'payments').autoResume).toEqual({ enabled: false, hold: 15 * MINUTE })
    expect(rulesFor(config, 'search').autoResume).toEqual({ enabled: true, hold: 60 * MINUTE })
    expect(PolicyConfigSchema.safeParse({ defaults: { autoResume: { holdTime: '1h' } } }).success).toBe(false)
  })
})

describe('autoResumeDecision on the upstream (a paused experiment sends no telemetry of its own)', () => {
  const none = { firstEventMs: null, lastEventMs: null, events: 0 }
  /** staleAfter of the fixture spec, read rather than assumed. */
  const staleAfter = paused.spec.evaluation.staleAfter
  const upstream = (lastBefore: number | null, from: number, now: number, ago = 1) => ({ services: ['checkout'], lastBeforePauseMs: lastBefore, since: flowing(from, now, ago) })

  it('resumes once the service, silent at the pause, has sent telemetry again for the hold time', () => {
    const now = PAUSED_AT + 60 * MINUTE
    const d = autoResumeDecision({ record: paused, pause: verdictPause, telemetry: none, upstream: upstream(PAUSED_AT - staleAfter - MINUTE, 40, now), now, rules })
    expect(d).toMatchObject({ resume: true, codes: ['AUTO_RESUMED'] })
    expect(d.resume && d.reason).toBe('auto-resumed: upstream telemetry healthy again for 20m (hold 15m; service checkout silent at the TELEMETRY_STALE pause, 500 events since, newest 1m ago)')
  })

  it('an upstream with no event at all before the pause (read back staleAfter) counts as silent', () => {
    const now = PAUSED_AT + 60 * MINUTE
    expect(autoResumeDecision({ record: paused, pause: verdictPause, telemetry: none, upstream: upstream(null, 30, now), now, rules }).resume).toBe(true)
  })

  it('an upstream that was healthy at the pause does not resume it: the fault is the experiment’s own telemetry', () => {
    const now = PAUSED_AT + 60 * MINUTE
    expect(autoResumeDecision({ record: paused, pause: verdictPause, telemetry: none, upstream: upstream(PAUSED_AT - staleAfter, 0, now), now, rules })).toEqual({ resume: false, why: 'upstream-was-healthy' })
  })

  it('holds while the upstream has flowed less than the hold, and not on an upstream gone stale again', () => {
    const now = PAUSED_AT + 60 * MINUTE
    const silent = PAUSED_AT - staleAfter - MINUTE
    expect(autoResumeDecision({ record: paused, pause: verdictPause, telemetry: none, upstream: upstream(silent, 50, now), now, rules })).toEqual({ resume: false, why: 'holding' })
    expect(autoResumeDecision({ record: paused, pause: verdictPause, telemetry: none, upstream: upstream(silent, 1, now, staleAfter / MINUTE + 1), now, rules })).toEqual({ resume: false, why: 'stale' })
  })

  it('no upstream known (no services), or a silent one, keeps it paused; a person’s pause is never resumed on it', () => {
    const now = PAUSED_AT + 60 * MINUTE
    expect(autoResumeDecision({ record: paused, pause: verdictPause, telemetry: none, upstream: { services: [], lastBeforePauseMs: null, since: flowing(1, now) }, now, rules })).toEqual({ resume: false, why: 'no-telemetry' })
    expect(autoResumeDecision({ record: paused, pause: verdictPause, telemetry: none, upstream: { services: ['checkout'], lastBeforePauseMs: null, since: none }, now, rules })).toEqual({ resume: false, why: 'no-telemetry' })
    const person = { ...verdictPause, actor: { type: 'person' as const, id: 'alice' }, codes: [] }
    expect(autoResumeDecision({ record: paused, pause: person, telemetry: none, upstream: upstream(null, 1, now), now, rules })).toEqual({ resume: false, why: 'person-paused' })
    expect(autoResumeDecision({ record: paused, pause: verdictPause, telemetry: none, upstream: upstream(null, 1, now), now, rules: { ...rules, enabled: false } })).toEqual({ resume: false, why: 'disabled' })
  })
})

describe('after a resume, telemetry gets staleAfter to arrive', () => {
  const staleAfter = runningRecord().spec.evaluation.staleAfter
  const lastEvent = T0 + HOUR
  const now = T0 + 4 * HOUR
  const resumedAgo = (ago: number) => evaluationFixture({ record: runningRecord(undefined, { stepStartedAt: now - ago }), now, units: unitsFixture({ control: 20_000, treatment: 20_000 }, lastEvent) })

  it('a step started (resumed) less than staleAfter ago is not stale though its last event is hours old', () => {
    expect(decide(resumedAgo(staleAfter - MINUTE)).reasons.map((r) => r.code)).not.toContain('TELEMETRY_STALE')
  })

  it('past staleAfter since the resume with nothing new, it is stale again, the age counted from the last event', () => {
    const out = decide(resumedAgo(staleAfter + MINUTE))
    expect(out.decision).toBe('pause')
    expect(out.reasons[0]).toMatchObject({ code: 'TELEMETRY_STALE', numbers: { freshnessSeconds: (now - lastEvent) / 1000 } })
  })
})
