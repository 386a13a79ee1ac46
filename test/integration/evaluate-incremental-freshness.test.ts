import { describe, expect, it } from 'vitest'
import { decide } from '../../src/decide/decide.js'
import { toWarehouseTime } from '../../src/domain/telemetry.js'
import { IncrementalEvaluationReader } from '../../src/services/evaluate-incremental.js'
import { SECOND, T0, runningRecord, specFixture } from '../support/fixtures.js'
import { migratedWarehouse } from '../support/migrated-warehouse.js'

/**
 * The incremental reader's sums stop at now − grace, but telemetry freshness must not: an
 * experiment whose staleAfter is shorter than the grace (the real-time demo's 4 s against the 5 s
 * default) was paused with NO_TELEMETRY while its events were arriving (CI's distributed e2e test
 * caught it). Here the last event time comes from every visible event, the sums from the settled ones.
 */
const wh = migratedWarehouse('runway-evaluate-incremental-freshness-')
const GRACE = 5 * SECOND

describe('incremental reads and telemetry freshness', () => {
  it('sees events received within the grace for NO_TELEMETRY / TELEMETRY_STALE, while the sums stay at now − grace', { timeout: 120_000 }, async () => {
    const warehouse = wh()
    const start = T0
    const record = { ...runningRecord(specFixture({ id: 'fresh-a', evaluation: { interval: '1s', staleAfter: '4s', minUnits: 100 } }), { startedAt: start }), stateSince: start }
    const reader = new IncrementalEvaluationReader(warehouse, { graceMs: GRACE, rebaseMs: 3_600 * SECOND })
    const event = (i: number, variant: string, ts: number, receivedAt: number) => ({
      event_id: `f-${i}`, ts: toWarehouseTime(ts), experiment_id: 'fresh-a', variant, unit_id: `u${i}`, service: 'svc', metric: 'conversion', value: 1, attributes: {}, received_at: toWarehouseTime(receivedAt),
    })

    // 6 s after start, the only events arrived 1 s ago: inside the grace, so no settled sums yet.
    let now = start + 6 * SECOND
    await warehouse.insert('events', [event(1, 'control', now - SECOND, now - SECOND), event(2, 'treatment', now - SECOND, now - SECOND)])
    let reads = (await reader.read([record], { now })).get('fresh-a')!
    expect(reads.units.map((u) => u.units)).toEqual([0, 0])
    expect(reads.units.map((u) => u.lastEventMs)).toEqual([now - SECOND, now - SECOND])
    let verdict = decide({ record, now, ...reads })
    // (minUnits 100 keeps the misrouting check, which comes first in decide(), from answering for these few units.)
    expect(verdict.reasons.map((r) => r.code)).not.toContain('MISROUTING')
    expect(verdict.reasons.map((r) => r.code)).not.toContain('NO_TELEMETRY')

    // 4 s later those events are settled (counted), and newer ones within the grace move the last event time.
    now += 4 * SECOND
    await warehouse.insert('events', [event(3, 'treatment', now - 500, now - 500)])
    reads = (await reader.read([record], { now })).get('fresh-a')!
    expect(reads.units.map((u) => [u.variant, u.units, u.lastEventMs])).toEqual([['control', 1, now - 5 * SECOND], ['treatment', 1, now - 500]])
    verdict = decide({ record, now, ...reads })
    expect(verdict.reasons.map((r) => r.code)).not.toContain('TELEMETRY_STALE')

    // With nothing new for longer than staleAfter, it is stale again: the freshness read does not invent events.
    now += 6 * SECOND
    reads = (await reader.read([record], { now })).get('fresh-a')!
    verdict = decide({ record, now, ...reads })
    expect(verdict.reasons.map((r) => r.code)).toContain('TELEMETRY_STALE')
  })
})
