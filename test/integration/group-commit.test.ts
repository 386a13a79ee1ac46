import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SystemClock } from '../../src/adapters/clock/system-clock.js'
import { MemoryStateStore } from '../../src/adapters/state/memory-state.js'
import { type ClickHouseWarehouse, embeddedWarehouse } from '../../src/adapters/warehouse/clickhouse-warehouse.js'
import { InsertCoalescer } from '../../src/adapters/warehouse/insert-coalescer.js'
import { newRecord } from '../../src/domain/experiment-record.js'
import { ExperimentSpecSchema } from '../../src/domain/experiment.js'
import type { TableName, Warehouse } from '../../src/ports/warehouse.js'
import { IngestService } from '../../src/services/ingest.js'
import { migrate } from '../../src/services/migrate.js'

let dir: string
let engine: ClickHouseWarehouse
const state = new MemoryStateStore()
const EXP = ['gc-a', 'gc-b', 'gc-c', 'gc-d']

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'runway-group-commit-'))
  engine = embeddedWarehouse(dir)
  await migrate(engine)
  for (const id of EXP) {
    const spec = ExperimentSpecSchema.parse({
      id, owner: 't', hypothesis: 'h', variants: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }],
      rollout: { steps: [{ exposure: 100, minDuration: '1h' }] }, metrics: { primary: { name: 'conversion', direction: 'increase' } },
    })
    await state.put({ ...newRecord(spec, Date.now()), state: 'running' }, null)
  }
}, 60_000)
afterAll(async () => {
  await engine.close()
  rmSync(dir, { recursive: true, force: true })
})

/** The real engine underneath; `afterLanding` fails chosen events inserts after they were written (an answer lost on the way back). */
function lossy(failures: { left: number }): Warehouse {
  return {
    command: (sql) => engine.command(sql),
    select: (sql, p) => engine.select(sql, p),
    close: async () => {},
    insert: async (table: TableName, rows, o) => {
      await engine.insert(table, rows, o)
      if (table === 'events' && rows.length > 100 && failures.left-- > 0) throw new Error('connection reset after the insert')
    },
  }
}

const ts = Date.now() - 60_000
const body = (exp: string, batch: number, n = 100) =>
  Array.from({ length: n }, (_, k) => JSON.stringify({ eventId: `${exp}-${batch}-${k}`, ts, experimentId: exp, variant: k % 2 ? 'treatment' : 'control', unitId: `u-${k}`, metric: 'conversion', value: k, attributes: { email: `x${k}@example.com` } })).join('\n')
const count = async (exp: string) => Number((await engine.select<{ n: string }>('SELECT count() AS n FROM events WHERE experiment_id = {e:String}', { e: exp }))[0]!.n)
const distinct = async (exp: string) => Number((await engine.select<{ n: string }>('SELECT uniqExact(event_id) AS n FROM events WHERE experiment_id = {e:String}', { e: exp }))[0]!.n)
const service = (warehouse: Warehouse) => new IngestService({ warehouse, state, clock: new SystemClock(), log: pino({ level: 'silent' }), limits: { maxBytes: 1e9, maxEvents: 1e6 }, coalesceRows: 50_000 })

describe('group commit of concurrent batches (InsertCoalescer in IngestService)', () => {
  it('combines 32 concurrent batches into fewer inserts, each acknowledged only once its rows are stored, counts exact', async () => {
    const ingest = service(engine)
    const acked: Array<Promise<void>> = []
    await Promise.all(
      Array.from({ length: 32 }, async (_, b) => {
        const r = await ingest.ingest({ body: body('gc-a', b), format: 'ndjson', source: 't' })
        expect(r.accepted).toBe(100)
        expect(r.masked).toBe(100)
        // Acknowledged: this batch's events are in the warehouse now.
        acked.push(engine.select<{ n: string }>("SELECT count() AS n FROM events WHERE experiment_id = 'gc-a' AND startsWith(event_id, {p:String})", { p: `gc-a-${b}-` }).then(([x]) => expect(Number(x!.n)).toBe(100)))
      }),
    )
    await Promise.all(acked)
    expect(await count('gc-a')).toBe(3_200)
    const s = ingest.coalescer!.stats
    expect(s.calls).toBeGreaterThanOrEqual(32)
    expect(s.inserts).toBeLessThan(s.calls) // at least one insert carried several batches
  })

  it('stores a retried batch once, whether it is retried with its group, alone, or under an Idempotency-Key', async () => {
    const ingest = service(engine)
    const first = Array.from({ length: 16 }, (_, b) => ingest.ingest({ body: body('gc-b', b), format: 'ndjson', source: 't', ...(b % 2 ? { idempotencyKey: `k-${b}` } : {}) }))
    await Promise.all(first)
    expect(ingest.coalescer!.stats.inserts).toBeLessThan(ingest.coalescer!.stats.calls)
    // Every batch again, concurrently with new ones (so retries are coalesced with strangers), then one alone.
    await Promise.all([
      ...Array.from({ length: 16 }, (_, b) => ingest.ingest({ body: body('gc-b', b), format: 'ndjson', source: 't', ...(b % 2 ? { idempotencyKey: `k-${b}` } : {}) })),
      ...Array.from({ length: 8 }, (_, b) => ingest.ingest({ body: body('gc-b', 100 + b), format: 'ndjson', source: 't' })),
    ])
    await ingest.ingest({ body: body('gc-b', 3), format: 'ndjson', source: 't', idempotencyKey: 'k-3' })
    expect(await count('gc-b')).toBe(2_400)
    expect(await distinct('gc-b')).toBe(2_400)
  })

  it('a combined insert whose answer is lost fails its callers; their retries (alone or grouped again) store every event once', async () => {
    const ingest = service(lossy({ left: 1 }))
    const results = await Promise.allSettled(Array.from({ length: 16 }, (_, b) => ingest.ingest({ body: body('gc-c', b), format: 'ndjson', source: 't' })))
    const failed = results.map((r, b) => (r.status === 'rejected' ? b : -1)).filter((b) => b >= 0)
    await Promise.all(failed.map((b) => ingest.ingest({ body: body('gc-c', b), format: 'ndjson', source: 't' })))
    expect(await count('gc-c')).toBe(1_600)
    expect(await distinct('gc-c')).toBe(1_600)
  })

  it('when the group fails twice after landing, every caller gets the error and its retry writes only what is missing', async () => {
    const ingest = service(lossy({ left: 2 }))
    const results = await Promise.allSettled(Array.from({ length: 16 }, (_, b) => ingest.ingest({ body: body('gc-d', b), format: 'ndjson', source: 't' })))
    const failed = results.map((r, b) => (r.status === 'rejected' ? b : -1)).filter((b) => b >= 0)
    expect(failed.length).toBeGreaterThan(1) // a group failed (the first insert is a lone batch, so it never fails here)
    for (const b of failed) await ingest.ingest({ body: body('gc-d', b), format: 'ndjson', source: 't' })
    expect(await count('gc-d')).toBe(1_600)
    expect(await distinct('gc-d')).toBe(1_600)
  })
})

describe('InsertCoalescer lingers for the callers it just answered', () => {
  it('16 closed-loop callers end up in one insert each round, not two alternating halves or a lone first caller', async () => {
    const sizes: number[] = []
    // Each insert takes a few turns of the event loop, as the engine's does (off the main thread).
    const slow: Warehouse = {
      command: async () => {}, select: async () => [], close: async () => {},
      insert: async (_t, rows) => {
        sizes.push(rows.length)
        for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r))
      },
    }
    // A caller's own work between batches (validation, the HTTP round trip): a turn or three of the event loop.
    const work = async (c: number) => {
      for (let i = 0; i <= c % 3; i++) await new Promise((r) => setImmediate(r))
    }
    const co = new InsertCoalescer(slow, { tables: ['events'], maxRows: 50_000 })
    await Promise.all(Array.from({ length: 16 }, async (_, c) => {
      for (let b = 0; b < 20; b++) {
        await work(c)
        await co.insert('events', Array.from({ length: 10 }, (_, k) => ({ k })), { dedupToken: `c${c}-b${b}` })
      }
    }))
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(16 * 20 * 10)
    // The first insert is the first caller alone, the last what remains; those between carry all 16
    // callers. The linger is a time (half the last insert's, 5 ms at least), so on a loaded machine a
    // caller can miss one now and then (CI-like runs at load 8–9 did): most, not every one, must be full.
    const fullShare = (list: number[]) => list.slice(1, -1).filter((n) => n === 160).length / Math.max(1, list.length - 2)
    const lingering = fullShare(sizes)
    expect(lingering).toBeGreaterThanOrEqual(0.75)
    const off = new InsertCoalescer(slow, { tables: ['events'], maxRows: 50_000, lingerMs: 0 })
    sizes.length = 0
    await Promise.all(Array.from({ length: 16 }, async (_, c) => {
      for (let b = 0; b < 20; b++) {
        await work(c)
        await off.insert('events', Array.from({ length: 10 }, (_, k) => ({ k })), { dedupToken: `off-c${c}-b${b}` })
      }
    }))
    // Without lingering the callers split: some inserts carry fewer than all 16 (the reason the linger exists).
    expect(sizes.some((n) => n < 160)).toBe(true)
    expect(fullShare(sizes)).toBeLessThan(lingering)
  })
})
