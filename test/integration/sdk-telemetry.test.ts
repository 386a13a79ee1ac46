import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KafkaTelemetryConsumer } from '../../src/adapters/bus/kafka-telemetry-consumer.js'
import { RunwayClient } from '../../src/sdk/client.js'
import { ExposureLogger } from '../../src/sdk/exposure-logger.js'
import { httpSink, kafkaSink, Telemetry } from '../../src/sdk/telemetry.js'
import { eventually, uid } from '../contract/helpers.js'
import { type Runway, runExperiment, startRunway } from '../support/gate.js'
import { requireKafka } from '../support/services.js'

let rw: Runway
let sdk: RunwayClient
beforeAll(async () => {
  rw = await startRunway()
  await runExperiment(rw, { id: 'tel-a', layer: 'tel-a', rollout: { steps: [{ exposure: 100 }] } })
  await runExperiment(rw, { id: 'tel-b', layer: 'tel-b', rollout: { steps: [{ exposure: 50 }, { exposure: 100 }] } })
  sdk = new RunwayClient({ baseUrl: rw.baseUrl })
  await sdk.start()
})
afterAll(async () => {
  sdk.close()
  await rw.stop()
  rw.cleanup()
})

/** Events stored per (experiment, variant, metric). */
async function stored(metric: string): Promise<Map<string, number>> {
  const rows = await rw.runtime.warehouse.select<{ k: string; n: string }>(
    `SELECT concat(experiment_id, '/', variant) AS k, count() AS n FROM events WHERE metric = {metric:String} GROUP BY k`,
    { metric },
  )
  return new Map(rows.map((r) => [r.k, Number(r.n)]))
}

/** What the SDK says should be stored: one event per exposed experiment per unit. */
function expected(units: string[]): Map<string, number> {
  const out = new Map<string, number>()
  for (const u of units)
    for (const id of ['tel-a', 'tel-b']) {
      const v = sdk.variant(id, u)
      if (v) out.set(`${id}/${v}`, (out.get(`${id}/${v}`) ?? 0) + 1)
    }
  return out
}

describe('telemetry tagged with experiment and variant', () => {
  it('through the HTTP ingest API', async () => {
    const t = new Telemetry(sdk, { sink: httpSink({ baseUrl: rw.baseUrl }), service: 'checkout', batchSize: 500 })
    const units = Array.from({ length: 2_000 }, (_, i) => `h-${i}`)
    for (const u of units) t.track({ unitId: u, metric: 'conversion', outcome: u.endsWith('7'), attributes: { country: 'DE' }, ts: rw.clock.now() })
    await t.close()
    expect(t.stats()).toMatchObject({ rejected: 0, droppedBufferFull: 0, droppedSendFailed: 0 })
    expect(await stored('conversion')).toEqual(expected(units))
  })

  it('through Kafka (runway.telemetry → the telemetry consumer → warehouse)', async () => {
    const brokers = requireKafka().split(',')
    const prefix = `sdk-${uid()}.`
    const sink = kafkaSink({ brokers, topicPrefix: prefix })
    const t = new Telemetry(sdk, { sink, service: 'checkout', batchSize: 500 })
    const units = Array.from({ length: 2_000 }, (_, i) => `k-${i}`)
    for (const u of units) t.track({ unitId: u, metric: 'latency_ms', value: 100 + (u.length % 7), ts: rw.clock.now() })
    await t.close()
    await sink.close()
    expect(t.stats()).toMatchObject({ sent: [...expected(units).values()].reduce((a, b) => a + b, 0), droppedSendFailed: 0 })
    const consumer = new KafkaTelemetryConsumer({ brokers, clientId: 'sdk-test', topicPrefix: prefix, groupId: `g-${uid()}`, ingest: rw.runtime.ingest, warehouse: rw.runtime.warehouse, log: pino({ level: 'silent' }) })
    await consumer.start()
    try {
      await eventually(async () => expect(await stored('latency_ms')).toEqual(expected(units)), 30_000, 200)
    } finally {
      await consumer.stop()
    }
  }, 90_000)
})

describe('exposure logger', () => {
  it('under back-pressure keeps its buffer bounded and counts every drop; what it accepted is stored', async () => {
    const drops: number[] = []
    const log = new ExposureLogger({ sink: httpSink({ baseUrl: rw.baseUrl }), service: 'bp', maxBuffer: 1_000, batchSize: 250, onDrop: (n) => drops.push(n) })
    const units = Array.from({ length: 20_000 }, (_, i) => `bp-${i}`).filter((u) => sdk.variant('tel-a', u))
    let refused = 0
    // A tight loop outruns the HTTP sender: the buffer fills while a batch is in flight.
    for (const u of units) if (!log.log({ experimentId: 'tel-a', variant: sdk.variant('tel-a', u)!, unitId: u, ts: rw.clock.now() })) refused++
    expect(log.stats().buffered + log.stats().inFlight).toBeLessThanOrEqual(1_000)
    // Repeats are deduplicated, not re-sent.
    log.log({ experimentId: 'tel-a', variant: sdk.variant('tel-a', units[0]!)!, unitId: units[0]!, ts: rw.clock.now() })
    await log.close()
    const s = log.stats()
    expect(refused).toBeGreaterThan(0)
    expect(s.droppedBufferFull).toBe(refused)
    expect(drops.reduce((a, b) => a + b, 0)).toBe(refused)
    expect(s.sent + s.droppedBufferFull).toBe(units.length)
    expect(s.deduplicated).toBe(1)
    const [row] = await rw.runtime.warehouse.select<{ n: string }>(`SELECT count() AS n FROM events WHERE metric = 'exposure' AND service = 'bp'`)
    expect(Number(row!.n)).toBe(s.sent)
  })
})
