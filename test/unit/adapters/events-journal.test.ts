import { copyFileSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../src/adapters/clock/manual-clock.js'
import { MemoryStateStore } from '../../../src/adapters/state/memory-state.js'
import type { ClickHouseWarehouse } from '../../../src/adapters/warehouse/clickhouse-warehouse.js'
import { eventsJournalOptions } from '../../../src/adapters/warehouse/events-journal.js'
import { JournaledWarehouse } from '../../../src/adapters/warehouse/journaled-warehouse.js'
import { DependencyError } from '../../../src/errors.js'
import type { QueryParams, TableName, Warehouse } from '../../../src/ports/warehouse.js'
import { IngestService } from '../../../src/services/ingest.js'
import { EVENTS_BATCH_TOKEN, recentBatchTokens } from '../../../src/services/ingest-group-tokens.js'
import { runningRecord, specFixture } from '../../support/fixtures.js'
import { migratedWarehouse } from '../../support/migrated-warehouse.js'
import { tempDirs } from '../../support/temp-dir.js'

/**
 * The events journal (RUNWAY_EVENTS_JOURNAL) over the real embedded engine: ingest answers once a
 * batch is durable in the journal, the engine gets one insert per flush, reads flush first. The
 * engine is wrapped only to count the inserts that reach it, to refuse them on demand and to
 * outlive a journal's close (a "restart" is a new journal and service on the same directory).
 */
class Engine implements Warehouse {
  inserts: Array<{ table: TableName; rows: number }> = []
  failing = false
  constructor(readonly real: () => ClickHouseWarehouse) {}
  command(sql: string) {
    return this.real().command(sql)
  }
  select<T>(sql: string, params?: QueryParams) {
    return this.real().select<T>(sql, params)
  }
  async insert(table: TableName, rows: ReadonlyArray<Record<string, unknown>>, options?: { dedupToken?: string }) {
    if (this.failing) throw new DependencyError('warehouse insert into events failed: engine unavailable (test)')
    this.inserts.push({ table, rows: rows.length })
    return this.real().insert(table, rows, options)
  }
  async close() {}
}

const real = migratedWarehouse('runway-events-journal-')
const newDir = tempDirs('runway-events-journal-dir-')
const engine = new Engine(real)
const NOW = Date.UTC(2026, 11, 3, 12)
const clock = new ManualClock(NOW)
let n = 0
const fresh = () => ({ dir: join(newDir(), 'events-journal'), exp: `ej${++n}` })

const open = (dir: string, o: { flushDelayMs?: number; maxPendingRows?: number } = {}) =>
  JournaledWarehouse.open(engine, {
    dir,
    ...eventsJournalOptions({ token: EVENTS_BATCH_TOKEN, recentTokens: () => recentBatchTokens(engine, clock.now()) }),
    flushDelayMs: o.flushDelayMs ?? 60_000,
    ...(o.maxPendingRows ? { maxPendingRows: o.maxPendingRows } : {}),
  })

async function service(warehouse: Warehouse, ...experiments: string[]) {
  const state = new MemoryStateStore()
  for (const id of experiments) await state.put(runningRecord(specFixture({ id })), null)
  return new IngestService({ warehouse, state, clock, log: pino({ level: 'silent' }), limits: { maxBytes: 1e9, maxEvents: 1e6, groupCommitRows: 50_000 } })
}

/** `count` lines for `exp`; every `badEvery`-th names an unknown variant (a dead letter). */
const body = (exp: string, batch: number, count = 100, badEvery = 0) =>
  Array.from({ length: count }, (_, k) =>
    JSON.stringify({ eventId: `${exp}-${batch}-${k}`, ts: NOW - 1_000, experimentId: exp, variant: badEvery > 0 && k % badEvery === badEvery - 1 ? 'nope' : 'control', unitId: `u-${k}`, metric: 'conversion', value: k }),
  ).join('\n')

/** Rows in the engine itself, read past the journal. */
async function inEngine(exp: string) {
  const [e] = await real().select<{ n: string; d: string }>('SELECT count() AS n, uniqExact(event_id) AS d FROM events WHERE experiment_id = {e:String}', { e: exp })
  const dead = await real().select<{ line: number; reason: string }>('SELECT line, reason FROM dead_letters WHERE startsWith(raw, {p:String}) ORDER BY batch_id, line', { p: `{"eventId":"${exp}-` })
  return { events: Number(e!.n), distinct: Number(e!.d), dead }
}
const eventInserts = () => engine.inserts.filter((i) => i.table === 'events').length
const segments = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.ndjson'))

describe('the events journal under ingest', () => {
  it('answers concurrent batches with exact counts once journaled, and writes them to the engine in one insert at the flush', async () => {
    const { dir, exp } = fresh()
    const journal = await open(dir)
    const ingest = await service(journal, exp)
    expect(ingest.coalescer).toBeNull() // the journal groups; no second grouping in front of it
    const answers = await Promise.all(Array.from({ length: 16 }, (_, b) => ingest.ingest({ body: body(exp, b, 100, 10), format: 'ndjson', source: 't' })))
    expect(answers.map((a) => [a.accepted, a.rejected])).toEqual(Array.from({ length: 16 }, () => [90, 10]))
    // Acknowledged, durable in the journal, not in the engine yet.
    expect((await inEngine(exp)).events).toBe(0)
    expect(segments(dir).length).toBeGreaterThan(0)
    const before = eventInserts()
    await journal.flush()
    expect(eventInserts() - before).toBe(1)
    expect(await inEngine(exp)).toMatchObject({ events: 1_440, distinct: 1_440 })
    expect((await inEngine(exp)).dead).toHaveLength(160)
    expect(segments(dir)).toEqual([])
  })

  it('flushes before a read: a query through the journal sees every acknowledged event', async () => {
    const { dir, exp } = fresh()
    const journal = await open(dir)
    const ingest = await service(journal, exp)
    await ingest.ingest({ body: body(exp, 0), format: 'ndjson', source: 't' })
    const [c] = await journal.select<{ n: string }>('SELECT count() AS n FROM events WHERE experiment_id = {e:String}', { e: exp })
    expect(Number(c!.n)).toBe(100)
  })

  it('dead-letters each line as the engine path does (same lines, same reasons)', async () => {
    const { dir, exp } = fresh()
    const direct = `${exp}d`
    const journal = await open(dir)
    await (await service(journal, exp)).ingest({ body: body(exp, 0, 50, 7), format: 'ndjson', source: 't' })
    await journal.flush()
    // The oracle: the default path (no journal) with the same body for another experiment.
    await (await service(engine, direct)).ingest({ body: body(direct, 0, 50, 7), format: 'ndjson', source: 't' })
    const viaJournal = (await inEngine(exp)).dead
    expect(viaJournal).toHaveLength(7)
    expect(viaJournal).toEqual((await inEngine(direct)).dead.map((d) => ({ ...d, reason: d.reason.replaceAll(direct, exp) })))
  })

  it('stores a retried batch once, with or without an idempotency key, also after a restart', async () => {
    const { dir, exp } = fresh()
    const first = await open(dir)
    const a = await service(first, exp)
    const plain = body(exp, 0, 100, 20)
    const keyed = body(exp, 1, 100, 20)
    await a.ingest({ body: plain, format: 'ndjson', source: 't' })
    await a.ingest({ body: plain, format: 'ndjson', source: 't' }) // a retry in the same process
    const answer = await a.ingest({ body: keyed, format: 'ndjson', source: 't', idempotencyKey: `${exp}-key` })
    await first.close()
    const second = await open(dir)
    const b = await service(second, exp)
    await b.ingest({ body: plain, format: 'ndjson', source: 't' })
    expect(await b.ingest({ body: keyed, format: 'ndjson', source: 't', idempotencyKey: `${exp}-key` })).toEqual(answer)
    await second.flush()
    const stored = await inEngine(exp)
    expect(stored).toMatchObject({ events: 190, distinct: 190 })
    expect(stored.dead).toHaveLength(10)
  })

  it('keeps the rows in the journal while the engine refuses the flush; reads fail saying so, and succeed once it is back', async () => {
    const { dir, exp } = fresh()
    const journal = await open(dir)
    const ingest = await service(journal, exp)
    engine.failing = true
    try {
      expect((await ingest.ingest({ body: body(exp, 0), format: 'ndjson', source: 't' })).accepted).toBe(100)
      const read = journal.select('SELECT 1 AS one')
      await expect(read).rejects.toBeInstanceOf(DependencyError)
      await expect(read).rejects.toThrow(/journaled insert\(s\) are not in the warehouse yet .*engine unavailable/)
      expect(segments(dir)).toHaveLength(1)
    } finally {
      engine.failing = false
    }
    const [c] = await journal.select<{ n: string }>('SELECT count() AS n FROM events WHERE experiment_id = {e:String}', { e: exp })
    expect(Number(c!.n)).toBe(100)
    expect(segments(dir)).toEqual([])
  })

  it('writes a segment a killed process left by key: rows whose token the engine kept without the part are written again, none twice', async () => {
    const { dir, exp } = fresh()
    const copy = join(dir, '..', 'left-behind')
    const first = await open(dir)
    const ingest = await service(first, exp)
    await Promise.all([0, 1, 2].map((b) => ingest.ingest({ body: body(exp, b, 100, 25), format: 'ndjson', source: 't' })))
    // The journal as a process killed right after this flush's insert would leave it (segment not unlinked yet).
    mkdirSync(copy)
    for (const f of segments(dir)) copyFileSync(join(dir, f), join(copy, f))
    await first.flush()
    // Batch 1's rows are taken out again; the flush's token stays in the engine's deduplication log,
    // as it does when a kill lands between the token and the part.
    await real().command(`ALTER TABLE events DELETE WHERE experiment_id = '${exp}' AND startsWith(event_id, '${exp}-1-') SETTINGS mutations_sync = 2`)
    expect((await inEngine(exp)).events).toBe(192) // 96 good lines a batch
    const restarted = await open(copy)
    await restarted.flush()
    expect(await inEngine(exp)).toMatchObject({ events: 288, distinct: 288 })
    expect((await inEngine(exp)).dead).toHaveLength(12)
    expect(segments(copy)).toEqual([])
  })

  it('makes a batch wait for a flush once the rows waiting pass the bound, instead of holding more', async () => {
    const { dir, exp } = fresh()
    const journal = await open(dir, { maxPendingRows: 250 })
    const ingest = await service(journal, exp)
    for (let b = 0; b < 5; b++) await ingest.ingest({ body: body(exp, b), format: 'ndjson', source: 't' })
    // Flush delay is 60 s and nothing read: only the bound can have written rows to the engine.
    const stored = (await inEngine(exp)).events
    expect(stored).toBeGreaterThanOrEqual(300)
    expect(journal.pendingEntries).toBeLessThanOrEqual(3)
  })
})
