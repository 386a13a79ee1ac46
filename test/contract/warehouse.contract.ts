import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { DependencyError, InputError } from '../../src/errors.js'
import type { TableName, Warehouse } from '../../src/ports/warehouse.js'
import { uid } from './helpers.js'

export interface WarehouseContractOptions {
  name: string
  /**
   * Called once for the whole suite (chDB allows one data directory per
   * process); tests isolate themselves by table names. The suite closes it.
   */
  create: () => Promise<Warehouse>
}

/**
 * The port limits production inserts to Runway's own table names; the contract
 * writes to throwaway tables (unique per test) so that runs never collide.
 */
const table = (name: string) => name as TableName

const MERGE_TREE_DEDUP = 'ENGINE = MergeTree ORDER BY k SETTINGS non_replicated_deduplication_window = 100'

export function runWarehouseContract({ name, create }: WarehouseContractOptions): void {
  describe(`Warehouse contract: ${name}`, () => {
    let wh: Warehouse
    let created: string[] = []

    /** A unique table name, dropped after the test. */
    const fresh = (label: string) => {
      const t = `ct_${uid()}_${label}`
      created.push(t)
      return t
    }

    beforeAll(async () => {
      wh = await create()
    })
    afterEach(async () => {
      // Views first: they depend on their source and target tables.
      for (const t of created.reverse()) await wh.command(`DROP TABLE IF EXISTS ${t}`)
      created = []
    })
    afterAll(async () => {
      await wh?.close()
    })

    it('command runs DDL: a created table exists, a dropped one does not', async () => {
      const t = fresh('ddl')
      const exists = async () =>
        (await wh.select<{ e: string }>(`SELECT count() AS e FROM system.tables WHERE database = currentDatabase() AND name = {t:String}`, { t }))[0]?.e
      expect(Number(await exists())).toBe(0)
      await wh.command(`CREATE TABLE ${t} (k String) ENGINE = MergeTree ORDER BY k`)
      expect(Number(await exists())).toBe(1)
      await wh.command(`DROP TABLE ${t}`)
      expect(Number(await exists())).toBe(0)
    })

    it('select binds parameters of several types server-side', async () => {
      const rows = await wh.select(
        `SELECT {s:String} AS s, {n:UInt32} AS n, {i:Int32} AS i, {f:Float64} AS f, {b:Bool} AS b,
                toUnixTimestamp64Milli({ts:DateTime64(3, 'UTC')}) AS ms, {n:UInt32} * 2 AS n2, toTypeName({n:UInt32}) AS t, {z:Nullable(String)} AS z`,
        { s: 'héllo wörld', n: 4_000_000_000, i: -7, f: 0.1 + 0.2, b: true, ts: '2024-05-06 07:08:09.123', z: null },
      )
      expect(rows).toHaveLength(1)
      expect(rows[0]).toMatchObject({ s: 'héllo wörld', n: 4_000_000_000, i: -7, f: 0.1 + 0.2, b: true, t: 'UInt32', z: null })
      expect(Number(rows[0]!.ms)).toBe(Date.UTC(2024, 4, 6, 7, 8, 9, 123))
      expect(Number(rows[0]!.n2)).toBe(8_000_000_000)
    })

    it('a value containing quotes and SQL is bound as data, never interpolated', async () => {
      const t = fresh('inject')
      await wh.command(`CREATE TABLE ${t} (k String) ENGINE = MergeTree ORDER BY k`)
      await wh.insert(table(t), [{ k: 'alice' }, { k: 'bob' }])
      const evil = `x' OR 1=1 -- "; DROP TABLE ${t}; {n:UInt32} \\' \\`
      expect(await wh.select(`SELECT {v:String} AS v`, { v: evil })).toEqual([{ v: evil }])
      expect(await wh.select(`SELECT k FROM ${t} WHERE k = {v:String}`, { v: evil })).toEqual([])
      expect(await wh.select(`SELECT k FROM ${t} WHERE k = {v:String}`, { v: 'bob' })).toEqual([{ k: 'bob' }])
      expect(Number((await wh.select<{ c: string }>(`SELECT count() AS c FROM ${t}`))[0]!.c)).toBe(2)
    })

    it('concurrent bound selects each get their own parameters', async () => {
      const ns = Array.from({ length: 50 }, (_, i) => i * 3 + 1)
      const results = await Promise.all(ns.map((n) => wh.select<{ n: number; s: string }>(`SELECT {n:UInt32} AS n, {s:String} AS s`, { n, s: `v${n}` })))
      expect(results.map((r) => r[0])).toEqual(ns.map((n) => ({ n, s: `v${n}` })))
    })

    it('insert then select round-trips DateTime64, Map, Nullable, Float64 and Bool', async () => {
      const t = fresh('types')
      await wh.command(
        `CREATE TABLE ${t} (k String, ts DateTime64(3, 'UTC'), attrs Map(String, String), note Nullable(String), x Float64, ok Bool)
         ENGINE = MergeTree ORDER BY k`,
      )
      const rows = [
        { k: 'a', ts: '2024-05-06 07:08:09.123', attrs: { region: 'eu', 'quote"d': "it's" }, note: null, x: 3.141592653589793, ok: true },
        { k: 'b', ts: '1999-12-31 23:59:59.999', attrs: {}, note: 'present', x: -1e-9, ok: false },
      ]
      await wh.insert(table(t), rows)
      const back = await wh.select(`SELECT k, ts, attrs, note, x, ok, toUnixTimestamp64Milli(ts) AS ms FROM ${t} ORDER BY k`)
      expect(back).toHaveLength(2)
      expect(back.map(({ ms: _ms, ...rest }) => rest)).toEqual(rows)
      expect(back.map((r) => Number(r.ms))).toEqual([Date.UTC(2024, 4, 6, 7, 8, 9, 123), Date.UTC(1999, 11, 31, 23, 59, 59, 999)])
      const filtered = await wh.select(`SELECT k FROM ${t} WHERE ts >= {from:DateTime64(3, 'UTC')} AND attrs['region'] = {r:String}`, {
        from: '2024-05-06 07:08:09.123',
        r: 'eu',
      })
      expect(filtered).toEqual([{ k: 'a' }])
    })

    it('an empty insert is a no-op', async () => {
      const t = fresh('empty')
      await wh.command(`CREATE TABLE ${t} (k String) ENGINE = MergeTree ORDER BY k`)
      await wh.insert(table(t), [])
      expect(Number((await wh.select<{ c: string }>(`SELECT count() AS c FROM ${t}`))[0]!.c)).toBe(0)
    })

    describe('deduplicated inserts', () => {
      let src: string
      let agg: string
      const batch = [
        { k: 'a', v: 1 },
        { k: 'b', v: 10 },
        { k: 'a', v: 100 },
      ]
      const tableRows = async () => Number((await wh.select<{ c: string }>(`SELECT count() AS c FROM ${src}`))[0]!.c)
      const totals = async () =>
        Object.fromEntries(
          (await wh.select<{ k: string; total: string }>(`SELECT k, sum(total) AS total FROM ${agg} GROUP BY k ORDER BY k`)).map((r) => [r.k, Number(r.total)]),
        )

      const setUp = async () => {
        src = fresh('src')
        agg = fresh('agg')
        const mv = fresh('mv')
        await wh.command(`CREATE TABLE ${src} (k String, v UInt64) ${MERGE_TREE_DEDUP}`)
        await wh.command(`CREATE TABLE ${agg} (k String, total UInt64) ENGINE = SummingMergeTree ORDER BY k SETTINGS non_replicated_deduplication_window = 100`)
        await wh.command(`CREATE MATERIALIZED VIEW ${mv} TO ${agg} AS SELECT k, sum(v) AS total FROM ${src} GROUP BY k`)
      }

      it('a retried insert with the same token is stored once, in the table and in the view', async () => {
        await setUp()
        const token = `batch-${uid()}`
        await wh.insert(table(src), batch, { dedupToken: token })
        expect(await tableRows()).toBe(3)
        expect(await totals()).toEqual({ a: 101, b: 10 })
        await wh.insert(table(src), batch, { dedupToken: token })
        await wh.insert(table(src), batch, { dedupToken: token })
        expect(await tableRows()).toBe(3)
        expect(await totals()).toEqual({ a: 101, b: 10 })
      })

      it('the same rows with a different token are stored again, in the table and in the view', async () => {
        await setUp()
        await wh.insert(table(src), batch, { dedupToken: `one-${uid()}` })
        await wh.insert(table(src), batch, { dedupToken: `two-${uid()}` })
        expect(await tableRows()).toBe(6)
        expect(await totals()).toEqual({ a: 202, b: 20 })
      })

      it('an insert without a token after one with a token is stored (no token carries over)', async () => {
        await setUp()
        await wh.insert(table(src), batch, { dedupToken: `first-${uid()}` })
        await wh.insert(table(src), [{ k: 'c', v: 1 }])
        await wh.insert(table(src), [{ k: 'd', v: 1 }])
        expect(await tableRows()).toBe(5)
      })

      it('an invalid token is refused and nothing is stored', async () => {
        await setUp()
        for (const bad of ["x'; DROP TABLE t; --", 'has space', '', 'a'.repeat(500)]) {
          await expect(wh.insert(table(src), batch, { dedupToken: bad })).rejects.toBeInstanceOf(InputError)
        }
        expect(await tableRows()).toBe(0)
        expect(await totals()).toEqual({})
      })
    })

    describe('failures are DependencyErrors carrying ClickHouse’s reason', () => {
      it('select from a missing table', async () => {
        const missing = `ct_${uid()}_missing`
        const error = await wh.select(`SELECT * FROM ${missing}`).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(DependencyError)
        expect((error as Error).message).toContain(missing)
        expect((error as Error).message).toMatch(/UNKNOWN_TABLE|does not exist|Unknown table/i)
      })

      it('command with a syntax error', async () => {
        const error = await wh.command(`CREATE TABLEX nonsense (`).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(DependencyError)
        expect((error as Error).message).toMatch(/syntax error/i)
      })

      it('a parameter that does not parse as its type', async () => {
        const error = await wh.select(`SELECT {n:UInt32} AS n`, { n: 'not-a-number' }).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(DependencyError)
        expect((error as Error).message).toMatch(/not-a-number|parse|BAD_QUERY_PARAMETER|Cannot/i)
      })

      it('insert into a missing table', async () => {
        const missing = `ct_${uid()}_nowhere`
        const error = await wh.insert(table(missing), [{ k: 'a' }]).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(DependencyError)
        expect((error as Error).message).toContain(missing)
      })

      it('insert of a row that does not fit the table', async () => {
        const t = fresh('bad_row')
        await wh.command(`CREATE TABLE ${t} (k String, n UInt32) ENGINE = MergeTree ORDER BY k`)
        const error = await wh.insert(table(t), [{ k: 'a', n: 'many' }]).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(DependencyError)
        expect((error as Error).message).toMatch(/many|parse|Cannot/i)
        expect(Number((await wh.select<{ c: string }>(`SELECT count() AS c FROM ${t}`))[0]!.c)).toBe(0)
      })
    })
  })
}
