import { describe, expect, it } from 'vitest'
import { RunwayClient } from '../../src/sdk/client.js'
import { applyVerdict, runExperiment, startRunway, waitFor } from '../support/gate.js'

// Its own file: chDB allows one data directory per process, and this test restarts runway on its own.
const exposedUnit = (c: RunwayClient, id: string) => {
  for (let i = 0; i < 10_000; i++) if (c.variant(id, `u-${i}`)) return `u-${i}`
  throw new Error(`no exposed unit in ${id}`)
}

describe('SDK: server down', () => {
  it('server down → serves the last config and reports stale; back on the same port → current again', async () => {
    const other = await startRunway()
    const clients: RunwayClient[] = []
    try {
      await runExperiment(other, { id: 'fo-exp', layer: 'fo', rollout: { steps: [{ exposure: 100 }] } })
      const c = new RunwayClient({ baseUrl: other.baseUrl, heartbeatMs: 200, staleAfterMs: 800, pollIntervalMs: 200, backoff: { minMs: 50, maxMs: 200 } })
      clients.push(c)
      await c.start()
      const unit = exposedUnit(c, 'fo-exp')
      const variant = c.variant('fo-exp', unit)
      const staleEvents: boolean[] = []
      c.onStale((s) => staleEvents.push(s))
      const { port, dataDir } = other
      await other.stop()
      await waitFor(() => c.stale, 3_000, 'stale')
      expect(c.variant('fo-exp', unit)).toBe(variant) // still serving the last good config
      expect(c.status().connected).toBe(false)
      const back = await startRunway({ port, dataDir })
      try {
        await waitFor(() => !c.stale && c.status().connected, 5_000, 'recovery')
        expect(staleEvents).toEqual([true, false])
        await applyVerdict(back, 'fo-exp', 'pause')
        await waitFor(() => c.variant('fo-exp', unit) === null, 2_000, 'the pause after recovery')
      } finally {
        await back.stop()
      }
    } finally {
      for (const c of clients) c.close()
      other.cleanup()
    }
  })

})
