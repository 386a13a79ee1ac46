import { OpenFeature, ProviderEvents, type EventDetails } from '@openfeature/server-sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ExposureLogger } from '../../src/sdk/exposure-logger.js'
import { RunwayProvider } from '../../src/sdk/openfeature-provider.js'
import { httpSink } from '../../src/sdk/telemetry.js'
import { applyVerdict, type Runway, runExperiment, startRunway, waitFor } from '../support/gate.js'

let rw: Runway
let provider: RunwayProvider
let exposures: ExposureLogger
beforeAll(async () => {
  rw = await startRunway()
  await runExperiment(rw, { id: 'of-flag', layer: 'of-flag', variants: [{ name: 'off', weight: 50 }, { name: 'on', weight: 50 }], rollout: { steps: [{ exposure: 100 }] } })
  await runExperiment(rw, { id: 'of-num', layer: 'of-num', variants: [{ name: '10', weight: 50 }, { name: '20', weight: 50 }], rollout: { steps: [{ exposure: 100 }] }, targeting: [{ attribute: 'country', op: 'in', values: ['DE'] }] })
  exposures = new ExposureLogger({ sink: httpSink({ baseUrl: rw.baseUrl }), service: 'of-test' })
  provider = new RunwayProvider({ client: { baseUrl: rw.baseUrl, heartbeatMs: 200, staleAfterMs: 1_000 }, exposures })
  await OpenFeature.setProviderAndWait(provider)
})
afterAll(async () => {
  await OpenFeature.close()
  await exposures.close()
  await rw.stop()
  rw.cleanup()
})

describe('OpenFeature provider', () => {
  it('string, boolean, number and object evaluations with reason SPLIT and the variant', async () => {
    const client = OpenFeature.getClient()
    const ctx = { targetingKey: 'user-1', country: 'DE' }
    const s = await client.getStringDetails('of-flag', 'none', ctx)
    expect(s).toMatchObject({ reason: 'SPLIT', variant: s.value })
    expect(['on', 'off']).toContain(s.value)
    expect(await client.getBooleanValue('of-flag', false, ctx)).toBe(s.value === 'on')
    const n = await client.getNumberDetails('of-num', 0, ctx)
    expect(n).toMatchObject({ reason: 'SPLIT', value: Number(n.variant) })
    const o = await client.getObjectValue('of-flag', {}, ctx)
    expect(o).toEqual({ experiment: 'of-flag', variant: s.value, index: s.value === 'on' ? 1 : 0 })
    // Every SPLIT logged an exposure (repeats of one unit/variant deduplicated).
    expect(exposures.stats().accepted).toBe(2)
  })

  it('DEFAULT outside targeting, FLAG_NOT_FOUND and TARGETING_KEY_MISSING as errors with the default value', async () => {
    const client = OpenFeature.getClient()
    expect(await client.getNumberDetails('of-num', 7, { targetingKey: 'user-1', country: 'FR' })).toMatchObject({ value: 7, reason: 'DEFAULT' })
    expect(await client.getStringDetails('nope', 'x', { targetingKey: 'u' })).toMatchObject({ value: 'x', errorCode: 'FLAG_NOT_FOUND' })
    expect(await client.getStringDetails('of-flag', 'x', {})).toMatchObject({ value: 'x', errorCode: 'TARGETING_KEY_MISSING' })
  })

  it('PROVIDER_CONFIGURATION_CHANGED names the flag when a verdict pauses it; then DISABLED with the default', async () => {
    const changed: Array<string[] | undefined> = []
    const handler = (e?: EventDetails) => changed.push(e?.flagsChanged as string[] | undefined)
    OpenFeature.addHandler(ProviderEvents.ConfigurationChanged, handler)
    try {
      await applyVerdict(rw, 'of-flag', 'pause')
      await waitFor(() => changed.length > 0, 2_000, 'configuration changed')
      expect(changed[0]).toEqual(['of-flag'])
      expect(await OpenFeature.getClient().getStringDetails('of-flag', 'fallback', { targetingKey: 'user-1' })).toMatchObject({ value: 'fallback', reason: 'DISABLED' })
    } finally {
      OpenFeature.removeHandler(ProviderEvents.ConfigurationChanged, handler)
    }
  })

  it('PROVIDER_STALE when the server is gone (the last config still answers)', async () => {
    const stale: string[] = []
    OpenFeature.addHandler(ProviderEvents.Stale, () => stale.push('stale'))
    await rw.stop()
    await waitFor(() => stale.length > 0, 5_000, 'stale event')
    const d = await OpenFeature.getClient().getNumberDetails('of-num', 0, { targetingKey: 'user-1', country: 'DE' })
    expect(d.reason).toBe('SPLIT')
    expect(d.flagMetadata.stale).toBe(true)
    rw.stop = async () => {} // already stopped; afterAll must not stop it twice
  })
})
