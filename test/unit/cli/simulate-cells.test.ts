import { describe, expect, it } from 'vitest'
import { interferenceCells } from '../../../src/cli/commands/simulate.js'
import type { SimulationSummary } from '../../../src/sim/simulator.js'

type Row = SimulationSummary['interference'][number]
const assignment = (over: Partial<Row>): Row =>
  ({ experiments: ['checkout-redesign', 'recs-carousel'], kind: 'assignment', metric: null, variants: null, units: 0, delta: null, ci: null, pValue: null, adjustedP: null, chiSquare: null, status: 'insufficient', flagged: false, action: '', ...over }) as Row

describe('interferenceCells', () => {
  it('says why a pair with no shared units is insufficient', () => {
    expect(interferenceCells(assignment({}))).toEqual(['checkout-redesign × recs-carousel', 'assignment', '-', '-', 0, 'insufficient (no shared units)'])
  })

  it('leaves a pair with shared units as its status says, with its χ² and action', () => {
    const cells = interferenceCells(assignment({ units: 1200, chiSquare: 3.14159, adjustedP: 0.2, status: 'insufficient', action: 'paused' }))
    expect(cells).toEqual(['checkout-redesign × recs-carousel', 'assignment χ²=3.14', '-', '0.2', 1200, 'insufficient (paused)'])
    expect(interferenceCells(assignment({ units: 1200, chiSquare: 0.5, adjustedP: 0.7, status: 'clear' }))[5]).toBe('clear')
  })
})
