import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { loadScenario } from '../../src/cli/commands/simulate.js'
import { loadConfig } from '../../src/config.js'
import { runScenario } from '../../src/sim/harness.js'
import type { Scenario } from '../../src/sim/scenario.js'

const demo = () => loadScenario(fileURLToPath(new URL('../../scenarios/demo.yaml', import.meta.url)))
const run = (scenario: Scenario) => runScenario(scenario, { config: loadConfig({}, { logLevel: 'silent' }), log: pino({ level: 'silent' }) })
const only = (s: Scenario, id: string): Scenario => ({ ...s, experiments: s.experiments.filter((e) => e.spec.id === id) })

describe('scenario outcomes come from the statistics, not the script', () => {
  it('a variant with zero true effect on the error rate is not rolled back', async () => {
    const base = only(demo(), 'search-ranker-v2')
    const exp = base.experiments[0]!
    // Shortened so that it ends by max duration after ramping through every step.
    const spec = { ...exp.spec, maxDuration: '10h' }
    for (const seed of [7, 8, 9]) {
      const summary = await run({ ...base, seed, duration: 11 * 3_600_000, experiments: [{ ...exp, spec, effects: {} }] })
      const e = summary.experiments[0]!
      expect(e.finalState, `seed ${seed}`).not.toBe('rolled_back')
      expect(e.transitions.some((t) => t.to === 'rolled_back')).toBe(false)
      // Healthy all along, it ramps through every step.
      expect(e.transitions.filter((t) => t.from === 'running' && t.to === 'running')).toHaveLength(3)
      expect(e.finalState).toBe('completed')
      expect(e.transitions.at(-1)!.reason).toMatch(/ran 10h/)
    }
  }, 180_000)

  it('misrouting that skews the split pauses the experiment (misrouted units found by the hash, or a sample ratio mismatch)', async () => {
    const base = only(demo(), 'checkout-redesign')
    const exp = base.experiments[0]!
    const summary = await run({ ...base, experiments: [{ ...exp, effects: {}, faults: [{ type: 'misroute', from: 3_600_000, fraction: 0.3, to: 'treatment' }] }] })
    const e = summary.experiments[0]!
    expect(e.finalState).toBe('paused')
    // The misrouting check (logged variant ≠ the hash's) usually sees it before SRM becomes significant.
    expect(e.transitions.at(-1)!.reason).toMatch(/misrouting: \d+ of \d+ logged units|sample ratio mismatch/)
  })

  it('the same seed gives the same timeline', async () => {
    const base = only(demo(), 'search-ranker-v2')
    const a = await run(base)
    const b = await run(base)
    expect(b.experiments).toEqual(a.experiments)
  })
})
