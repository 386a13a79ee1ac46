import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { open as fsOpen } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ClickHouseWarehouse, embeddedWarehouse } from '../../src/adapters/warehouse/clickhouse-warehouse.js'
import { JournaledWarehouse, parseSegment } from '../../src/adapters/warehouse/journaled-warehouse.js'
import { DependencyError } from '../../src/errors.js'
import type { QueryParams, TableName, Warehouse } from '../../src/ports/warehouse.js'
import { migrate } from '../../src/services/migrate.js'
import { sqlQuery } from '../../src/sql-files.js'

/**
 * The ledger journal over the real embedded engine. The engine is wrapped only
 * to count the inserts that reach it and to make them fail on demand.
 */
class Engine implements Warehouse {
  inserts: Array<{ table: TableName; rows: number; token: string | undefined }> = []
  failing = false
  constructor(readonly real: ClickHouseWarehouse) {}
  command(sql: string) {
    return this.real.command(sql)
  }
  select<T>(sql: string, params?: QueryParams) {
    return this.real.select<T>(sql, params)
  }
  async insert(table: TableName, rows: ReadonlyArray<Record<string, unknown>>, options?: { dedupToken?: string }) {
    if (this.failing) throw new DependencyError('warehouse insert into lifecycle failed: engine unavailable (test)')
    this.inserts.push({ table, rows: rows.length, token: options?.dedupToken })
    return this.real.insert(table, rows, options)
  }
  async close() {}
}

const root = mkdtempSync(join(tmpdir(), 'runway-journal-'))
const engine = new Engine(embeddedWarehouse(join(root, 'warehouse')))
let n = 0
/** A fresh journal directory and experiment prefix per test, over the one engine. */
const fresh = () => ({ dir: join(root, `journal-${++n}`), prefix: `j${n}-` })
const byExperiment = (r: Record<string, unknown>) => String(r.experiment_id)
/** As production configures it (services/ports.ts): cut-short segments are written by key. */
const recovery = {
  lifecycle: { query: sqlQuery('journal-present-lifecycle'), idOf: byExperiment, keyOf: (r: Record<string, unknown>) => `${byExperiment(r)}/${String(r.seq)}` },
  ledger_heads: { query: sqlQuery('journal-present-ledger-heads'), idOf: byExperiment, keyOf: (r: Record<string, unknown>) => `${byExperiment(r)}/${String(r.seq)}` },
}
const open = (dir: string, flushDelayMs = 60_000, onFlushError?: (e: DependencyError) => void) =>
  JournaledWarehouse.open(engine, { dir, tables: ['lifecycle', 'ledger_heads'], flushDelayMs, recovery, ...(onFlushError ? { onFlushError } : {}) })
const entry = (id: string, seq = 1) => ({ experiment_id: id, seq, at: '2026-01-01 00:00:00.000', from_state: '', to_state: 'queued', step: 0, exposure: 0, actor_type: 'user', actor_id: 't', reason: 'r', verdict_id: '', verdict_seq: 0, alloc_start: null, alloc_size: null, prev_hash: '', hash: `h${seq}` })
const head = (id: string, seq = 1) => ({ experiment_id: id, seq, hash: `h${seq}`, recorded_at: '2026-01-01 00:00:00.000' })
/** Rows per experiment id in the engine itself, read past the journal. */
const stored = async (table: 'lifecycle' | 'ledger_heads', prefix: string) =>
  Object.fromEntries(
    (await engine.real.select<{ id: string; c: string }>(`SELECT experiment_id AS id, count() AS c FROM ${table} WHERE startsWith(experiment_id, {p:String}) GROUP BY id`, { p: prefix })).map((r) => [r.id, Number(r.c)]),
  )
const segments = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.ndjson'))

beforeAll(async () => {
  await migrate(engine.real, () => {})
})
afterAll(async () => {
  await engine.real.close()
  rmSync(root, { recursive: true, force: true })
})

describe('journaled warehouse', () => {
  it('acknowledges once the row is in the journal; any read through it sees the row', async () => {
    const { dir, prefix } = fresh()
    const w = await open(dir)
    await w.insert('lifecycle', [entry(`${prefix}a`)], { dedupToken: `lifecycle/${prefix}a/1` })
    expect(await stored('lifecycle', prefix)).toEqual({})
    expect(parseSegment(readFileSync(join(dir, segments(dir)[0]!), 'utf8'))).toMatchObject([{ table: 'lifecycle', rows: [{ experiment_id: `${prefix}a` }] }])
    expect(w.pendingEntries).toBe(1)
    const seen = await w.select<{ c: string }>(`SELECT count() AS c FROM lifecycle WHERE experiment_id = {id:String}`, { id: `${prefix}a` })
    expect(Number(seen[0]!.c)).toBe(1)
    expect(w.pendingEntries).toBe(0)
    expect(segments(dir)).toEqual([]) // a written segment is removed
  })

  it('writes a window of entries as one insert per table, each row once', async () => {
    const { dir, prefix } = fresh()
    const w = await open(dir)
    const before = engine.inserts.length
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        Promise.all([
          w.insert('lifecycle', [entry(`${prefix}${i}`)], { dedupToken: `lifecycle/${prefix}${i}/1` }),
          w.insert('ledger_heads', [head(`${prefix}${i}`)], { dedupToken: `ledger-head/${prefix}${i}/1` }),
        ]),
      ),
    )
    await w.flush()
    expect(engine.inserts.slice(before).map(({ table, rows }) => ({ table, rows }))).toEqual([
      { table: 'lifecycle', rows: 200 },
      { table: 'ledger_heads', rows: 200 },
    ])
    const rows = await stored('lifecycle', prefix)
    expect(Object.keys(rows)).toHaveLength(200)
    expect(Object.values(rows).every((c) => c === 1)).toBe(true)
    expect(Object.keys(await stored('ledger_heads', prefix))).toHaveLength(200)
  })

  it('flushes by itself after the group-commit window', async () => {
    const { dir, prefix } = fresh()
    const w = await open(dir, 30)
    await w.insert('lifecycle', [entry(`${prefix}a`)])
    const deadline = Date.now() + 5_000
    while (Date.now() < deadline && Object.keys(await stored('lifecycle', prefix)).length === 0) await new Promise((r) => setTimeout(r, 20))
    expect(await stored('lifecycle', prefix)).toEqual({ [`${prefix}a`]: 1 })
  })

  it('a retried insert with the same token is stored once, before and after a flush', async () => {
    const { dir, prefix } = fresh()
    const w = await open(dir)
    const token = `lifecycle/${prefix}a/1`
    await w.insert('lifecycle', [entry(`${prefix}a`)], { dedupToken: token })
    await w.insert('lifecycle', [entry(`${prefix}a`)], { dedupToken: token })
    await w.flush()
    await w.insert('lifecycle', [entry(`${prefix}a`)], { dedupToken: token })
    await w.flush()
    expect(await stored('lifecycle', prefix)).toEqual({ [`${prefix}a`]: 1 })
  })

  it('tables it does not journal are written straight through', async () => {
    const { dir } = fresh()
    const w = await open(dir)
    const before = engine.inserts.length
    await w.insert('verdicts', [{ id: `v-${dir.length}`, experiment_id: 'x', seq: 1, decision: 'continue', step: 0, reasons: '[]', window_from: '2026-01-01 00:00:00.000', window_to: '2026-01-01 00:00:00.000', evaluated_at: '2026-01-01 00:00:00.000', engine_version: 't', needs_approval: false }])
    expect(engine.inserts.slice(before)).toMatchObject([{ table: 'verdicts', rows: 1 }])
    expect(w.pendingEntries).toBe(0)
  })

  it('segments a crashed process left are written on open, once, even when it crashed mid-flush', async () => {
    const { dir, prefix } = fresh()
    const crashed = await open(dir) // never flushed nor closed, as after kill -9
    for (let i = 0; i < 50; i++) await crashed.insert('lifecycle', [entry(`${prefix}${i}`)], { dedupToken: `lifecycle/${prefix}${i}/1` })
    const [segment] = segments(dir)
    const copy = join(root, `${segment}.copy`)
    copyFileSync(join(dir, segment!), copy)

    const next = await open(dir)
    expect(next.pendingEntries).toBe(50)
    expect(await stored('lifecycle', prefix)).toEqual({})
    await next.flush()
    expect(Object.keys(await stored('lifecycle', prefix))).toHaveLength(50)
    // A crash after the insert but before the segment was removed: the same segment again.
    copyFileSync(copy, join(dir, segment!))
    const again = await open(dir)
    expect(again.pendingEntries).toBe(50)
    await again.flush()
    const rows = await stored('lifecycle', prefix)
    expect(Object.keys(rows)).toHaveLength(50)
    expect(Object.values(rows).every((c) => c === 1)).toBe(true)
    // The recovered tokens still deduplicate a late retry.
    await again.insert('lifecycle', [entry(`${prefix}7`)], { dedupToken: `lifecycle/${prefix}7/1` })
    expect(again.pendingEntries).toBe(0)
  })

  it('a crash can leave a segment token recorded by the engine without its rows: recovery writes them by key', async () => {
    const { dir, prefix } = fresh()
    const crashed = await open(dir)
    for (let i = 0; i < 3; i++) await crashed.insert('lifecycle', [entry(`${prefix}${i}`)], { dedupToken: `lifecycle/${prefix}${i}/1` })
    const token = `journal/${segments(dir)[0]!.replace(/\.ndjson$/, '')}/lifecycle`
    // What a kill between the engine's deduplication-log write and its part commit leaves: the token, no rows.
    await engine.real.insert('lifecycle', [entry(`${prefix}ghost`)], { dedupToken: token })
    await engine.real.command(`ALTER TABLE lifecycle DELETE WHERE experiment_id = '${prefix}ghost' SETTINGS mutations_sync = 2`)
    // The engine then drops a retry under that token: writing by token alone would lose the rows.
    await engine.real.insert('lifecycle', [entry(`${prefix}probe`)], { dedupToken: token })
    expect(await stored('lifecycle', prefix)).toEqual({})

    const [segment] = segments(dir)
    const copy = join(root, `${segment}.again`)
    copyFileSync(join(dir, segment!), copy)
    const next = await open(dir)
    await next.flush()
    const once = { [`${prefix}0`]: 1, [`${prefix}1`]: 1, [`${prefix}2`]: 1 }
    expect(await stored('lifecycle', prefix)).toEqual(once)
    // Found once more (a crash before its file was removed): what is stored is not written again.
    copyFileSync(copy, join(dir, segment!))
    await (await open(dir)).flush()
    expect(await stored('lifecycle', prefix)).toEqual(once)
  })

  it('a torn last line (a write cut short) is dropped; complete lines are kept', () => {
    const line = (id: string) => `${JSON.stringify({ table: 'lifecycle', token: null, rows: [entry(id)] })}\n`
    const text = line('a') + line('b') + line('c').slice(0, 40)
    expect(parseSegment(text).map((e) => e.rows[0]!.experiment_id)).toEqual(['a', 'b'])
    expect(parseSegment(line('a') + line('b'))).toHaveLength(2)
    expect(parseSegment('')).toEqual([])
  })

  it('when the warehouse fails, rows stay in the journal, reads say why, and a later flush writes them once', async () => {
    const { dir, prefix } = fresh()
    const reported: DependencyError[] = []
    const w = await open(dir, 60_000, (e) => reported.push(e))
    await w.insert('lifecycle', [entry(`${prefix}a`)], { dedupToken: `lifecycle/${prefix}a/1` })
    engine.failing = true
    try {
      const error = await w.select('SELECT 1').catch((e: unknown) => e)
      expect(error).toBeInstanceOf(DependencyError)
      expect((error as Error).message).toMatch(/1 journaled insert\(s\) are not in the warehouse yet .*engine unavailable/)
      expect(reported).toHaveLength(1)
      // Still acknowledged while the engine is down: the journal is the durable copy.
      await w.insert('lifecycle', [entry(`${prefix}b`)], { dedupToken: `lifecycle/${prefix}b/1` })
      expect(w.pendingEntries).toBe(2)
      expect(segments(dir).length).toBeGreaterThan(0)
    } finally {
      engine.failing = false
    }
    await w.flush()
    expect(await stored('lifecycle', prefix)).toEqual({ [`${prefix}a`]: 1, [`${prefix}b`]: 1 })
    expect(segments(dir)).toEqual([])
  })

  it('a journal that cannot be written refuses the insert (nothing acknowledged), and a retry works once it can', async () => {
    const { dir, prefix } = fresh()
    const w = await open(dir)
    rmSync(dir, { recursive: true })
    writeFileSync(dir, 'not a directory')
    const token = `lifecycle/${prefix}a/1`
    const error = await w.insert('lifecycle', [entry(`${prefix}a`)], { dedupToken: token }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DependencyError)
    expect((error as Error).message).toMatch(/journal write to .* failed/)
    expect(w.pendingEntries).toBe(0)
    rmSync(dir)
    mkdirSync(dir)
    await w.insert('lifecycle', [entry(`${prefix}a`)], { dedupToken: token })
    await w.flush()
    expect(await stored('lifecycle', prefix)).toEqual({ [`${prefix}a`]: 1 })
  })

  it('a write whose fdatasync failed is refused and cut from the file, so a replay after a crash never brings it back', async () => {
    const { dir, prefix } = fresh()
    const crashed = await open(dir)
    await crashed.insert('lifecycle', [entry(`${prefix}a`)], { dedupToken: `lifecycle/${prefix}a/1` })
    // Fault injection: the next fdatasync fails after write() has put the line in the file.
    const probe = await fsOpen(join(root, 'probe'), 'w')
    const proto = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> }
    await probe.close()
    const datasync = proto.datasync
    proto.datasync = function (this: unknown) {
      proto.datasync = datasync
      return Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }))
    }
    const token = `lifecycle/${prefix}b/1`
    await expect(crashed.insert('lifecycle', [{ ...entry(`${prefix}b`), reason: 'refused' }], { dedupToken: token })).rejects.toThrow(/journal write .* failed: EIO/)
    expect(proto.datasync).toBe(datasync)
    await crashed.insert('lifecycle', [{ ...entry(`${prefix}b`), reason: 'retried' }], { dedupToken: token })
    // kill -9 here: the next process replays the directory.
    const next = await open(dir)
    await next.flush()
    expect(await stored('lifecycle', prefix)).toEqual({ [`${prefix}a`]: 1, [`${prefix}b`]: 1 })
    const b = await engine.real.select<{ reason: string }>(`SELECT reason FROM lifecycle WHERE experiment_id = {id:String}`, { id: `${prefix}b` })
    expect(b).toEqual([{ reason: 'retried' }])
  })

  it('close writes everything and leaves no segment behind', async () => {
    const { dir, prefix } = fresh()
    const w = await open(dir)
    for (let i = 0; i < 20; i++) await w.insert('lifecycle', [entry(`${prefix}${i}`)])
    await w.close() // the wrapped engine's close is a no-op here; the real one is closed in afterAll
    expect(segments(dir)).toEqual([])
    expect(Object.keys(await stored('lifecycle', prefix))).toHaveLength(20)
  })
})
