import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assignmentSqlParams } from '../../src/domain/assignment-sql.js'
import { RunwayClient } from '../../src/sdk/client.js'
import { ExposureLogger } from '../../src/sdk/exposure-logger.js'
import { httpSink } from '../../src/sdk/telemetry.js'
import { toWarehouseTime } from '../../src/domain/telemetry.js'
import { sqlQuery } from '../../src/sql-files.js'
import { type Runway, runExperiment, startRunway } from '../support/gate.js'

let rw: Runway
let sdk: RunwayClient
const ID = 'agree'
const units = Array.from({ length: 100_000 }, (_, i) => (i % 97 === 0 ? `üser-${i}` : `user-${i}`))

beforeAll(async () => {
  rw = await startRunway()
  // A partial allocation (60% of the layer), 25% exposure and uneven weights: every branch of the hash counts.
  await runExperiment(rw, {
    id: ID,
    layer: 'agreement',
    trafficShare: 60,
    variants: [
      { name: 'control', weight: 33 },
      { name: 'blue', weight: 33 },
      { name: 'green', weight: 34 },
    ],
    rollout: { steps: [{ exposure: 25 }, { exposure: 100 }] },
  })
  sdk = new RunwayClient({ baseUrl: rw.baseUrl })
  await sdk.start()
})
afterAll(async () => {
  sdk.close()
  await rw.stop()
  rw.cleanup()
})

async function serverVariants(): Promise<Array<string | null>> {
  const out: Array<string | null> = []
  for (let i = 0; i < units.length; i += 10_000) {
    const res = await fetch(`${rw.baseUrl}/v1/assign`, { method: 'POST', body: JSON.stringify({ experimentId: ID, units: units.slice(i, i + 10_000) }), headers: { 'content-type': 'application/json' } })
    out.push(...((await res.json()) as { assignments: Array<{ variant: string | null }> }).assignments.map((a) => a.variant))
  }
  return out
}

async function sqlVariants(): Promise<Array<string | null>> {
  const e = sdk.experiment(ID)!
  const params = assignmentSqlParams(e)
  const byUnit = new Map<string, string>()
  for (let i = 0; i < units.length; i += 20_000) {
    const rows = await rw.runtime.warehouse.select<{ unit_id: string; expected_variant: string }>(sqlQuery('expected-assignment'), { units: units.slice(i, i + 20_000), ...params } as never)
    for (const r of rows) byUnit.set(r.unit_id, r.expected_variant)
  }
  return units.map((u) => byUnit.get(u) || null)
}

describe('SDK, server and SQL agree', () => {
  it('on the variant of every one of 100,000 units', async () => {
    const local = units.map((u) => sdk.variant(ID, u))
    const server = await serverVariants()
    const sql = await sqlVariants()
    const disagree = units.filter((_, i) => local[i] !== server[i] || local[i] !== sql[i])
    expect(disagree).toEqual([])
    // The three answers are non-trivial: about 60% × 25% of units are exposed, split three ways.
    const exposed = local.filter((v) => v !== null).length
    expect(exposed).toBeGreaterThan(13_000)
    expect(exposed).toBeLessThan(17_000)
    expect(new Set(local.filter(Boolean))).toEqual(new Set(['control', 'blue', 'green']))
    console.log(`agreement: ${units.length} units, ${exposed} exposed, SDK = server = SQL for all`)
  })

  it('misrouted units are found in SQL from logged exposures, and evaluation pauses on them', async () => {
    const log = new ExposureLogger({ sink: httpSink({ baseUrl: rw.baseUrl }), service: 'agreement-test', batchSize: 2_000, maxBuffer: 20_000 })
    const exposedUnits = units.filter((u) => sdk.variant(ID, u) !== null).slice(0, 5_000)
    const rotate: Record<string, string> = { control: 'blue', blue: 'green', green: 'control' }
    // 100 units (2%) logged under the next variant round: balanced, so the split itself stays even.
    const wrong = new Set(exposedUnits.filter((_, i) => i % 50 === 0))
    for (const u of exposedUnits) {
      const v = sdk.variant(ID, u)!
      expect(log.log({ experimentId: ID, unitId: u, variant: wrong.has(u) ? rotate[v]! : v, ts: rw.clock.now() })).toBe(true)
    }
    await log.close()
    expect(log.stats()).toMatchObject({ sent: 5_000, rejected: 0, droppedBufferFull: 0, droppedSendFailed: 0 })
    const e = sdk.experiment(ID)!
    const params = assignmentSqlParams(e)
    const misrouted = await rw.runtime.warehouse.select<{ unit_id: string; logged_variant: string; expected_variant: string }>(sqlQuery('misrouted-units'), { experiment: ID, limit: 1_000, ...params } as never)
    expect(new Set(misrouted.map((r) => r.unit_id))).toEqual(wrong)
    expect(misrouted.every((r) => rotate[r.expected_variant] === r.logged_variant)).toBe(true)
    const [summary] = await rw.runtime.warehouse.select<{ units: string; misrouted: string }>(sqlQuery('misrouting-summary'), { experiment: ID, since: toWarehouseTime(0), ...params } as never)
    expect([Number(summary!.units), Number(summary!.misrouted)]).toEqual([5_000, 100])
    const evaluation = await rw.runtime.evaluator.evaluate(ID)
    expect(evaluation!.verdict.decision).toBe('pause')
    expect(evaluation!.verdict.reasons[0]).toMatchObject({ code: 'MISROUTING', numbers: { units: 5_000, misrouted: 100 } })
  })
})
