import { type IncomingMessage, createServer } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig, type RunwayConfig } from '../../src/config.js'
import { type Embedded, specBody, startEmbedded } from '../support/embedded.js'
import { waitFor } from '../support/wait.js'

/**
 * Outbox retention (RUNWAY_NOTIFY_RETENTION) on the embedded warehouse: delivered events
 * past the retention are trimmed with their delivery records; undelivered ones stay however
 * old, and go once the receiver is back; each experiment keeps its newest event, so a
 * restart recovers nothing from the ledger and re-sends nothing.
 */
const HOUR = 3_600_000
const received: Array<{ id: string; experimentId: string; type: string }> = []
const down = new Set<string>()
const body = (req: IncomingMessage) => new Promise<string>((resolve) => {
  let s = ''
  req.setEncoding('utf8').on('data', (d: string) => (s += d)).on('end', () => resolve(s))
})
const hook = createServer(async (req, res) => {
  const e = JSON.parse(await body(req)) as (typeof received)[number]
  if (down.has(e.experimentId)) return void res.writeHead(503).end('down')
  received.push(e)
  res.writeHead(200).end('ok')
})
let hookUrl = ''
let rw: Embedded | null = null

function config(): Partial<RunwayConfig> {
  return {
    notify: { ...loadConfig({}).notify, webhookUrls: [hookUrl], retentionMs: 24 * HOUR, retryBaseMs: 50, retryMaxMs: 100 },
    scheduleIntervalMs: 24 * HOUR, interferenceIntervalMs: 24 * HOUR, housekeeping: { intervalMs: 24 * HOUR, archiveAfterMs: 90 * 24 * HOUR },
  }
}

const outboxIds = async (e: Embedded, experiment: string) =>
  (await e.runtime.warehouse.select<{ id: string }>(`SELECT id FROM notify_outbox FINAL WHERE experiment_id = {x:String} ORDER BY ord`, { x: experiment })).map((r) => r.id)
const deliveryIds = async (e: Embedded, experiment: string) =>
  (await e.runtime.warehouse.select<{ event_id: string }>(`SELECT event_id FROM notify_deliveries FINAL WHERE startsWith(event_id, {x:String}) ORDER BY event_id`, { x: `tr-${experiment}-` })).map((r) => r.event_id)
const of = (id: string) => received.filter((e) => e.experimentId === id)

beforeAll(async () => {
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve))
  hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`
  rw = await startEmbedded({ config: config() })
}, 120_000)

afterAll(async () => {
  await rw?.stop()
  rw?.cleanup()
  hook.close()
})

describe('outbox retention', () => {
  it('trims delivered events past the retention, keeps undelivered ones and each experiment\'s newest', async () => {
    const e = rw!
    down.add('ret-b')
    for (const id of ['ret-a', 'ret-b']) {
      const out = await e.runtime.queue.enqueue(specBody({ id, layer: `${id}-layer`, evaluation: { interval: '7d', staleAfter: '8d', minUnits: 20 } }), { type: 'person', id: 'test' })
      expect(out.accepted, JSON.stringify(out)).toBe(true)
    }
    await waitFor(async () => {
      await e.runtime.queue.scheduleTick()
      return (await e.runtime.state.get('ret-b'))?.state === 'running' && (await e.runtime.state.get('ret-a'))?.state === 'running'
    }, { what: 'both running' })
    await waitFor(() => of('ret-a').length === 3, { what: 'ret-a delivered' })
    const aIds = of('ret-a').map((x) => x.id)
    await waitFor(async () => (await deliveryIds(e, 'ret-a')).length === 3, { what: 'ret-a deliveries recorded' })
    expect(await outboxIds(e, 'ret-b')).toHaveLength(3)

    // Within the retention nothing goes.
    await e.runtime.notify.trim()
    expect(await outboxIds(e, 'ret-a')).toEqual(aIds)

    await e.clock.advanceTo(e.clock.now() + 25 * HOUR)
    await e.runtime.notify.trim()
    expect(await outboxIds(e, 'ret-a')).toEqual([aIds[2]])
    expect(await deliveryIds(e, 'ret-a')).toEqual([aIds[2]])
    // Never delivered: kept however old.
    expect(await outboxIds(e, 'ret-b')).toHaveLength(3)
    expect(of('ret-b')).toHaveLength(0)

    down.delete('ret-b')
    await waitFor(async () => {
      // The lane's backoff runs on the test's clock.
      await e.clock.advanceTo(e.clock.now() + 200)
      return of('ret-b').length === 3
    }, { what: 'ret-b delivered once the receiver is up' })
    const bIds = of('ret-b').map((x) => x.id)
    await waitFor(async () => (await deliveryIds(e, 'ret-b')).length === 3, { what: 'ret-b deliveries recorded' })
    await e.clock.advanceTo(e.clock.now() + 25 * HOUR)
    await e.runtime.notify.trim()
    expect(await outboxIds(e, 'ret-b')).toEqual([bIds[2]])

    // A restart finds nothing to recover from the ledger and nothing pending.
    const now = e.clock.now()
    await e.stop()
    rw = await startEmbedded({ dataDir: e.dataDir, config: config(), now })
    await waitFor(() => rw!.runtime.notify.dispatcher!.idle, { what: 'restarted dispatcher idle' })
    expect(received.map((x) => x.id)).toEqual([...new Set(received.map((x) => x.id))])
    expect(of('ret-a')).toHaveLength(3)
    expect(of('ret-b')).toHaveLength(3)
  }, 180_000)
})
