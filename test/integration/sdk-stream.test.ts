import { createServer, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RunwayClient } from '../../src/sdk/client.js'
import { postJson } from '../support/embedded.js'
import { applyVerdict, runExperiment, type Runway, startRunway, waitFor } from '../support/gate.js'

let rw: Runway
const clients: RunwayClient[] = []
const client = (o: Partial<ConstructorParameters<typeof RunwayClient>[0]> = {}) => {
  const c = new RunwayClient({ baseUrl: rw.baseUrl, heartbeatMs: 200, staleAfterMs: 1_000, pollIntervalMs: 200, backoff: { minMs: 50, maxMs: 200 }, ...o })
  clients.push(c)
  return c
}
/** A unit the experiment exposes, found by the SDK itself. */
const exposedUnit = (c: RunwayClient, id: string) => {
  for (let i = 0; i < 10_000; i++) if (c.variant(id, `u-${i}`)) return `u-${i}`
  throw new Error(`no exposed unit in ${id}`)
}

beforeAll(async () => {
  rw = await startRunway()
  await runExperiment(rw, { id: 'acme-checkout', namespace: 'acme', layer: 'checkout', rollout: { steps: [{ exposure: 100 }] } })
  await runExperiment(rw, { id: 'globex-search', namespace: 'globex', layer: 'search', rollout: { steps: [{ exposure: 100 }] } })
})
afterAll(async () => {
  for (const c of clients) c.close()
  await rw.stop()
  rw.cleanup()
})

describe('gate config over HTTP', () => {
  it('GET /v1/gate/config answers with an ETag and 304 for an unchanged config; tenants see only their namespace', async () => {
    const res = await fetch(`${rw.baseUrl}/v1/gate/config?tenant=acme`)
    const body = (await res.json()) as { experiments: Array<{ id: string }>; tenant: string }
    expect(body.tenant).toBe('acme')
    expect(body.experiments.map((e) => e.id)).toEqual(['acme-checkout'])
    const again = await fetch(`${rw.baseUrl}/v1/gate/config?tenant=acme`, { headers: { 'if-none-match': res.headers.get('etag')! } })
    expect(again.status).toBe(304)
    expect((await fetch(`${rw.baseUrl}/v1/gate/config?tenant=Not%20A%20Slug`)).status).toBe(400)
  })
})

describe('SDK: streamed config', () => {
  it('a pause verdict reaches the connected SDK, which stops assigning; changed flags are reported', async () => {
    const c = client({ tenant: 'acme' })
    const status = await c.start()
    expect(status).toMatchObject({ stale: false, connected: true })
    expect(c.experimentIds()).toEqual(['acme-checkout'])
    const unit = exposedUnit(c, 'acme-checkout')
    const changes: string[][] = []
    c.onChange((flags) => changes.push(flags))
    await applyVerdict(rw, 'acme-checkout', 'pause')
    await waitFor(() => c.variant('acme-checkout', unit) === null, 2_000, 'the SDK to stop assigning')
    expect(c.evaluate('acme-checkout', unit)).toMatchObject({ exposed: false, reason: 'not_running' })
    expect(changes).toEqual([['acme-checkout']])
    // Another tenant's verdicts are not this client's business. The stream is one ordered
    // connection: once a later change of this tenant has arrived, a leaked globex change would
    // have arrived before it.
    await applyVerdict(rw, 'globex-search', 'pause')
    expect((await postJson(rw.baseUrl, '/v1/experiments/acme-checkout/resume', { reason: 'sentinel' })).status).toBe(200)
    await waitFor(() => c.variant('acme-checkout', unit) !== null, 2_000, 'the resume to reach the SDK')
    expect(changes).toEqual([['acme-checkout'], ['acme-checkout']])
    expect(c.status().rejected).toBe(0)
  })

  it('polling only (transport poll) sees the same changes', async () => {
    await runExperiment(rw, { id: 'acme-polled', namespace: 'acme', layer: 'polled', rollout: { steps: [{ exposure: 100 }] } })
    const c = client({ tenant: 'acme', transport: 'poll' })
    await c.start()
    const unit = exposedUnit(c, 'acme-polled')
    await applyVerdict(rw, 'acme-polled', 'rollback')
    await waitFor(() => c.variant('acme-polled', unit) === null, 3_000, 'the polling SDK to stop assigning')
    expect(c.experiment('acme-polled')?.state).toBe('rolled_back')
  })
})

describe('SDK: failures', () => {
  it('a corrupted or partial push is refused and counted; the previous config keeps serving', async () => {
    // A relay in front of the real stream that damages config pushes after the first.
    let mode: 'pass' | 'corrupt' | 'truncate' = 'pass'
    const relay: Server = createServer(async (req, res) => {
      const upstream = await fetch(`${rw.baseUrl}${req.url}`, { headers: { accept: 'text/event-stream' } })
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'text/plain' })
      const reader = upstream.body!.getReader()
      req.on('close', () => void reader.cancel().catch(() => {}))
      const decoder = new TextDecoder()
      // A heartbeat announcing a newer version makes the client fetch the config whole (a poll), so the
      // relay spoils polls too while pushes are spoiled: else a poll between two pushes can bring the
      // new version in whole, which is the SDK working, not the refusal this test is about.
      const poll = req.url?.startsWith('/v1/gate/config') === true
      for (;;) {
        const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }))
        if (done) return res.end()
        let text = decoder.decode(value, { stream: true })
        if ((poll || text.includes('event: config')) && mode === 'corrupt') text = text.replace(/"weight":50/, '"weight":90')
        if (poll && mode === 'truncate') {
          void reader.cancel().catch(() => {})
          return res.end(text.slice(0, 80))
        }
        if (text.includes('event: config') && mode === 'truncate') text = `${text.slice(0, text.indexOf('data: ') + 80)}\n\n`
        res.write(text)
      }
    })
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r))
    const port = (relay.address() as { port: number }).port
    try {
      await runExperiment(rw, { id: 'acme-relay', namespace: 'acme', layer: 'relay', rollout: { steps: [{ exposure: 100 }] } })
      const c = client({ baseUrl: `http://127.0.0.1:${port}`, tenant: 'acme' })
      await c.start()
      const unit = exposedUnit(c, 'acme-relay')
      const version = c.status().version
      mode = 'corrupt'
      await applyVerdict(rw, 'acme-relay', 'pause')
      await waitFor(() => c.status().rejected >= 1, 2_000, 'the corrupted push to be refused')
      expect(c.status().lastRejection!.join(' ')).toMatch(/checksum/)
      expect(c.status().version).toBe(version)
      expect(c.variant('acme-relay', unit)).not.toBeNull()
      mode = 'truncate'
      await applyVerdict(rw, 'acme-relay', 'rollback')
      await waitFor(() => c.status().rejected >= 2, 2_000, 'the partial push to be refused')
      expect(c.status().version).toBe(version)
      mode = 'pass'
      // The heartbeat says a newer version exists: the client fetches it whole.
      await waitFor(() => c.variant('acme-relay', unit) === null, 3_000, 'the next good config')
    } finally {
      for (const c of clients.splice(0)) c.close()
      relay.closeAllConnections()
      await new Promise((r) => relay.close(r))
    }
  })
})
