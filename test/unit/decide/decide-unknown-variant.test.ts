/** Telemetry under a variant the experiment does not have counts toward its misrouting, with a reason. */
import { describe, expect, it } from 'vitest'
import { decide } from '../../../src/decide/decide.js'
import { misroutingReason } from '../../../src/decide/misrouting.js'
import { HOUR, T0, evaluationFixture, runningRecord } from '../../support/fixtures.js'

describe('unknown-variant telemetry', () => {
  it('dead-lettered units under an unknown variant push misrouting over the limit and are named', () => {
    const r = misroutingReason({ evidence: { units: 10_000, misrouted: 50, unknownVariant: { units: 100, events: 420 } }, minUnits: 100 })
    expect(r).toMatchObject({ code: 'MISROUTING', numbers: { units: 10_100, misrouted: 150, unknownVariantUnits: 100, unknownVariantEvents: 420 } })
    expect(r!.numbers.share!).toBeCloseTo(150 / 10_100, 12)
    expect(r!.message).toContain('of which 100 (420 events, dead-lettered) under a variant the experiment does not have')
  })

  it('without them the same 0.5% is within the 1% limit', () => {
    expect(misroutingReason({ evidence: { units: 10_000, misrouted: 50 }, minUnits: 100 })).toBeNull()
  })

  it('an experiment whose telemetry all went to an unknown variant pauses instead of looking empty', () => {
    const base = evaluationFixture({ record: runningRecord(), now: T0 + 2 * HOUR })
    const out = decide({ ...base, misrouting: { units: 0, misrouted: 0, unknownVariant: { units: 500, events: 1_500 } } })
    expect(out.decision).toBe('pause')
    expect(out.reasons[0]).toMatchObject({ code: 'MISROUTING', numbers: expect.objectContaining({ unknownVariantUnits: 500 }) })
  })
})
