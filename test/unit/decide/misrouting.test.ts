import { describe, expect, it } from 'vitest'
import { misroutingReason } from '../../../src/decide/misrouting.js'

describe('misroutingReason', () => {
  it('pauses above the share, not at or below it, and not on too few units', () => {
    expect(misroutingReason({ evidence: { units: 1_000, misrouted: 11 }, minUnits: 100 })).toMatchObject({ code: 'MISROUTING', numbers: { units: 1_000, misrouted: 11, share: 0.011, maxShare: 0.01 } })
    expect(misroutingReason({ evidence: { units: 1_000, misrouted: 10 }, minUnits: 100 })).toBeNull()
    expect(misroutingReason({ evidence: { units: 50, misrouted: 50 }, minUnits: 100 })).toBeNull()
    expect(misroutingReason({ evidence: { units: 1_000, misrouted: 40 }, minUnits: 100, maxShare: 0.05 })).toBeNull()
    expect(misroutingReason({ evidence: null, minUnits: 100 })).toBeNull()
  })
})
