import { describe, expect, it } from 'vitest'
import { layerCapacityOf } from '../../../src/domain/policy-config.js'
import { specFixture } from '../../support/fixtures.js'
import { check, failedRules, policyConfig } from '../../support/policy.js'

describe('layer-capacity (enqueue)', () => {
  it('a layer holds up to 100% without a policy file', () => {
    expect(failedRules(specFixture({ trafficShare: 100 }))).toEqual([])
  })

  it('fails when the share exceeds the configured capacity, naming the layer and both numbers', () => {
    const policy = { defaults: { layers: { capacity: 80 } } }
    const f = check(specFixture({ namespace: 'web', layer: 'checkout', trafficShare: 90 }), { policy }).failures
    expect(f).toEqual([{ rule: 'layer-capacity', path: 'trafficShare', message: expect.stringContaining('web/checkout (80%)') }])
    expect(f[0]!.message).toContain('90%')
    expect(failedRules(specFixture({ trafficShare: 80 }), { policy })).toEqual([])
  })

  it('per-layer overrides beat the namespace capacity, which beats the default', () => {
    const config = policyConfig({ defaults: { layers: { capacity: 90, overrides: { search: 20 } } }, namespaces: { web: { layers: { capacity: 50 } } } })
    expect(layerCapacityOf(config, 'mobile', 'home')).toBe(90)
    expect(layerCapacityOf(config, 'web', 'home')).toBe(50)
    expect(layerCapacityOf(config, 'web', 'search')).toBe(20)
  })

  it('is not a start or ramp rule: the scheduler waits for room instead of refusing', () => {
    const policy = { defaults: { layers: { capacity: 10 } } }
    expect(failedRules(specFixture({ trafficShare: 50 }), { phase: 'start', policy })).toEqual([])
  })
})
