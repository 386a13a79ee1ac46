import { describe, expect, it } from 'vitest'
import { specFixture } from '../../support/fixtures.js'
import { check, failedRules } from '../../support/policy.js'

const policy = { defaults: { maxExposure: { chaos: 1 } } }
const chaos = (steps: number[], trafficShare = 100) => specFixture({ kind: 'chaos', trafficShare, rollout: { steps: steps.map((exposure) => ({ exposure })) } })

describe('max-exposure', () => {
  it('passes a chaos test at 1% and other kinds at any exposure', () => {
    expect(failedRules(chaos([0.5, 1]), { policy })).toEqual([])
    expect(failedRules(specFixture({ kind: 'ab' }), { policy })).toEqual([])
  })

  it('at enqueue lists every planned step over the cap', () => {
    const f = check(chaos([1, 5, 10]), { policy }).failures
    expect(f.map((x) => [x.rule, x.path])).toEqual([
      ['max-exposure', 'rollout.steps[1].exposure'],
      ['max-exposure', 'rollout.steps[2].exposure'],
    ])
    expect(f[0]!.message).toMatch(/chaos experiments may expose at most 1%.*is 5%/)
  })

  it('counts exposure as a share of the layer: trafficShare × step exposure', () => {
    // 10% of a 10% share is 1% of the layer.
    expect(failedRules(chaos([10], 10), { policy })).toEqual([])
    expect(failedRules(chaos([20], 10), { policy })).toEqual(['max-exposure'])
  })

  it('at start checks the first step, at ramp the step moved to', () => {
    const spec = chaos([1, 50])
    expect(failedRules(spec, { phase: 'start', policy, targetStep: 0 })).toEqual([])
    const f = check(spec, { phase: 'ramp', policy, targetStep: 1 }).failures
    expect(f).toEqual([{ rule: 'max-exposure', path: 'rollout.steps[1].exposure', message: expect.stringContaining('50%') }])
  })

  it('a namespace can tighten or add caps', () => {
    const p = { defaults: { maxExposure: { chaos: 1 } }, namespaces: { payments: { maxExposure: { canary: 5 } } } }
    const canary = specFixture({ kind: 'canary', namespace: 'payments', rollout: { steps: [{ exposure: 5 }, { exposure: 10 }] } })
    expect(failedRules(canary, { policy: p })).toEqual(['max-exposure'])
    expect(failedRules({ ...canary, namespace: 'web' }, { policy: p })).toEqual([])
  })
})
