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

describe('misroutingReason over the recent window', () => {
  // 12h clean at 1000 units/h, then 1h with 1% misrouted: cumulative 10 of 13,000 (0.08%).
  const late = { units: 13_000, misrouted: 10, recent: { units: 1_000, misrouted: 10, windowMs: 3_600_000 } }

  it('a late fault diluted in the cumulative count pauses on the window, with its numbers', () => {
    const r = misroutingReason({ evidence: late, minUnits: 100 })
    expect(r).toMatchObject({ code: 'MISROUTING', numbers: { recentUnits: 1_000, recentMisrouted: 10, recentShare: 0.01, recentMaxShare: 0.005, windowSeconds: 3_600 } })
    expect(r!.message).toMatch(/^misrouting in the last 1h: 10 of 1000 recently logged units \(1\.00%\).*limit 0\.500%/)
    // Without the window the same evidence does not pause: the cumulative share is 0.077%.
    expect(misroutingReason({ evidence: { ...late, recent: null }, minUnits: 100 })).toBeNull()
  })

  it('at or below half the limit, or below minUnits in the window, it does not pause', () => {
    expect(misroutingReason({ evidence: { ...late, recent: { units: 1_000, misrouted: 5, windowMs: 3_600_000 } }, minUnits: 100 })).toBeNull()
    expect(misroutingReason({ evidence: { ...late, recent: { units: 99, misrouted: 50, windowMs: 3_600_000 } }, minUnits: 100 })).toBeNull()
    expect(misroutingReason({ evidence: { ...late, recent: { units: 0, misrouted: 0, windowMs: 3_600_000 } }, minUnits: 0 })).toBeNull()
  })

  it('the cumulative reason wins when both are over, and a configured limit halves for the window', () => {
    const both = { units: 1_000, misrouted: 50, recent: { units: 500, misrouted: 40, windowMs: 3_600_000 } }
    expect(misroutingReason({ evidence: both, minUnits: 100 })!.numbers).toMatchObject({ units: 1_000, misrouted: 50 })
    expect(misroutingReason({ evidence: { ...late, recent: { units: 1_000, misrouted: 10, windowMs: 3_600_000 } }, minUnits: 100, maxShare: 0.02 })).toBeNull()
    expect(misroutingReason({ evidence: { ...late, recent: { units: 1_000, misrouted: 11, windowMs: 3_600_000 } }, minUnits: 100, maxShare: 0.02 })).toMatchObject({ numbers: { recentMaxShare: 0.01 } })
  })
})

describe('unknown variants are named', () => {
  it('the cumulative reason names them, quoted; empty names (a line without the field) are left out', () => {
    const r = misroutingReason({ evidence: { units: 1_000, misrouted: 0, unknownVariant: { units: 60, events: 70, variants: ['', 'ghost', 'treatmnet'] } }, minUnits: 100 })
    expect(r!.message).toContain('of which 60 (70 events, dead-lettered) under unknown variant "ghost", "treatmnet" the experiment does not have')
    expect(r!.numbers).toMatchObject({ unknownVariantUnits: 60, unknownVariantEvents: 70 })
  })

  it('unknown-variant units dead-lettered within the recent window count in it: a late fault under a variant the spec lacks is caught', () => {
    // 12 h of clean traffic, then 10 of the last hour's units log under "ghost" (every line dead-lettered).
    const evidence = { units: 13_000, misrouted: 0, recent: { units: 1_000, misrouted: 0, windowMs: 3_600_000 } }
    const late = { ...evidence, unknownVariant: { units: 10, events: 12, recentUnits: 10, variants: ['ghost'] } }
    const r = misroutingReason({ evidence: late, minUnits: 100 })
    expect(r).toMatchObject({ code: 'MISROUTING', numbers: { recentUnits: 1_010, recentMisrouted: 10, unknownVariantUnits: 10 } })
    expect(r!.message).toMatch(/^misrouting in the last 1h: 10 of 1010 .*unknown variant "ghost" dead-lettered/)
    // The same ten units dead-lettered long ago are only cumulative: 10 of 13,010 is within the limit.
    expect(misroutingReason({ evidence: { ...late, unknownVariant: { ...late.unknownVariant, recentUnits: 0 } }, minUnits: 100 })).toBeNull()
  })

  it('the recent-window reason names them too', () => {
    const r = misroutingReason({ evidence: { units: 10_000, misrouted: 0, unknownVariant: { units: 20, events: 20, variants: ['ghost'] }, recent: { units: 1_000, misrouted: 20, windowMs: 1_800_000 } }, minUnits: 100 })
    expect(r!.message).toMatch(/^misrouting in the last 0\.5h: .*unknown variant "ghost" dead-lettered/)
  })
})
