import { describe, expect, it } from 'vitest'
import { identityOf, rangeOnRecord } from '../../src/adapters/bus/telemetry-recovery.js'
import { toEventRow, toWarehouseTime } from '../../src/domain/telemetry.js'
import { uid } from '../contract/helpers.js'
import { migratedWarehouse } from '../support/migrated-warehouse.js'

/** What the consumer's recovery finds stored, over the real engine (rows written here directly). */
const engine = migratedWarehouse('runway-recovery-lookup-')

const TS = Date.parse('2026-11-30T12:00:00.000Z')
const event = (experimentId: string, eventId: string, ts: number | string = TS) => ({ eventId, ts, experimentId, variant: 'control', unitId: 'u1', service: 's', metric: 'm', value: 1, attributes: {} })
const deadLetter = (batchId: string, position: number, reason: string, raw: string) => ({ received_at: toWarehouseTime(TS), source: 'kafka', batch_id: batchId, line: position, position, experiment_id: '', raw, reason })

describe('telemetry recovery look-up', () => {
  it('finds events by (experiment, event id), refusals by offset in their own partition, and leaves the rest missing', async () => {
    const warehouse = engine()
    const x = `lk-${uid()}`
    const other = `lk-${uid()}`
    const topic = `t${uid()}.runway.telemetry`
    await warehouse.insert('events', [event(x, 'a'), event(x, 'b', '2026-11-30T12:00:01.250Z'), event(other, 'c')].map((e) => toEventRow(e, TS)))
    await warehouse.insert('dead_letters', [
      deadLetter(`${topic}/1/10-20`, 13, 'line 13: unknown experiment "nope"', '{"x":1}'),
      // Another partition whose name starts the same way, and another topic: not this range's.
      deadLetter(`${topic}/10/10-20`, 14, 'other partition', '{}'),
      deadLetter(`other.${topic}/1/10-20`, 15, 'other topic', '{}'),
    ])
    const lines = [
      { line: 10, raw: JSON.stringify(event(x, 'a')) }, // stored
      { line: 11, raw: JSON.stringify(event(x, 'b', '2026-11-30T12:00:01.250Z')) }, // stored (ISO time)
      { line: 12, raw: JSON.stringify(event(x, 'c')) }, // id stored, but for another experiment
      { line: 13, raw: '{"x":1}' }, // dead-lettered in this partition
      { line: 14, raw: '{not json' }, // dead-lettered only in partition 10
      { line: 15, raw: JSON.stringify(event(x, 'd')) }, // dead-lettered only in another topic; not stored
      { line: 16, raw: JSON.stringify(event(x, 'a', TS + 3_600_000)) }, // the same event id sent again later: found stored (an id is the event's identity)
    ]
    const found = await rangeOnRecord(warehouse, { topic, partition: 1, from: 10n, to: 20n }, lines)
    expect(found.storedEvents).toBe(3)
    expect(found.deadLettered).toEqual([{ line: 13, reason: 'line 13: unknown experiment "nope"', raw: '{"x":1}' }])
    expect(found.missing.map((l) => l.line)).toEqual([12, 14, 15])
  })

  it('outside the offsets asked for, a refusal is not this range', async () => {
    const warehouse = engine()
    const topic = `t${uid()}.runway.telemetry`
    await warehouse.insert('dead_letters', [deadLetter(`${topic}/0/0-9`, 9, 'earlier range', '{}')])
    const found = await rangeOnRecord(warehouse, { topic, partition: 0, from: 10n, to: 19n }, [{ line: 9, raw: '{}' }])
    expect(found.deadLettered).toEqual([])
  })

  it('an offset beyond 2^32 is matched whole', async () => {
    const warehouse = engine()
    const topic = `t${uid()}.runway.telemetry`
    const big = 2 ** 40 + 7
    await warehouse.insert('dead_letters', [{ ...deadLetter(`${topic}/0/${big}-${big}`, 0, 'r', '{}'), position: big }])
    const found = await rangeOnRecord(warehouse, { topic, partition: 0, from: BigInt(big), to: BigInt(big) }, [{ line: big, raw: '{}' }])
    expect(found.deadLettered.map((d) => d.line)).toEqual([big])
  })

  it('reads an identity only from lines that could have been stored as events', () => {
    expect(identityOf(JSON.stringify(event('e', 'i')))).toMatchObject({ experimentId: 'e', eventId: 'i', ms: TS })
    expect(identityOf('[1]')).toBeNull()
    expect(identityOf('null')).toBeNull()
    expect(identityOf('{"eventId":"i","experimentId":"e"}')).toBeNull() // no time: refused by ingest
    expect(identityOf('{"eventId":"i","experimentId":"e","ts":"yesterday"}')).toBeNull()
    expect(identityOf('{"eventId":1,"experimentId":"e","ts":1}')).toBeNull()
  })
})
