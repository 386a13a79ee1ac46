/** Auto-resume after a telemetry pause: only a verdict's telemetry pause, only after the hold time of healthy telemetry. */
import { describe, expect, it } from 'vitest'
import { autoResumeDecision } from '../../../src/decide/auto-resume.js'
import { DEFAULT_POLICY_CONFIG, PolicyConfigSchema, rulesFor } from '../../../src/domain/policy-config.js'
import { MINUTE, T0, recordFixture, runningRecord } from '../../support/fixtures.js'

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
