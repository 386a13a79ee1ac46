import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createGzip, brotliCompressSync, deflateSync } from 'node:zlib'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chdbRawSql, type ChdbRawSql } from '../../src/adapters/warehouse/chdb-raw-sql.js'
import { embeddedWarehouse, type ClickHouseWarehouse } from '../../src/adapters/warehouse/clickhouse-warehouse.js'
import { registerClickHouseRoutes } from '../../src/api/routes/clickhouse-http.js'
import { migrate } from '../../src/services/migrate.js'
import { ATTACKS, WRITE_ATTACKS } from './clickhouse-attack-corpus.js'

const dir = mkdtempSync(join(tmpdir(), 'runway-ch-attacks-'))
const path = join(dir, 'warehouse')
const canary = `RUNWAY-CANARY-${process.pid}-${Date.now()}`
let warehouse: ClickHouseWarehouse
let rawSql: ChdbRawSql
let longRawSql: ChdbRawSql
let app: FastifyInstance
let base = ''

beforeAll(async () => {
  writeFileSync(join(dir, 'secret.txt'), canary)
  warehouse = embeddedWarehouse(path)
  await migrate(warehouse)
  await warehouse.insert('events', [
    { event_id: 'a1', ts: '2026-03-02 00:00:00.000', experiment_id: 'exp-att', variant: 'control', unit_id: 'u1', service: 's', metric: 'm', value: 1, attributes: {}, received_at: '2026-03-02 00:00:00.000' },
  ])
  await warehouse.insert('api_tokens', [
    { id: 'feedfacefeedface', version: 1, name: canary, role: 'admin', namespace: '*', hash: canary, created_ms: 1, created_by: 'test', revoked_ms: null, revoked_by: '' },
  ])
  // Short limits so the heavy cases end quickly; the defaults are tested in the unit tests.
  rawSql = chdbRawSql({ path, maxConcurrent: 2, limits: { maxExecutionSeconds: 3, maxMemoryBytes: 256 * 1024 ** 2, maxResultBytes: 8 * 1024 ** 2 } })
  longRawSql = chdbRawSql({ path, maxConcurrent: 1, limits: { maxExecutionSeconds: 3600 } })
  app = Fastify()
  app.get('/healthz', async () => ({ ok: true }))
  registerClickHouseRoutes(app, { rawSql })
  registerClickHouseRoutes(app, { rawSql: longRawSql, prefix: '/long' })
  registerClickHouseRoutes(app, { rawSql, prefix: '/rw', writable: true, user: 'ops', password: WRITER_PASSWORD })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
})

afterAll(async () => {
  await app?.close()
  await rawSql?.close()
  await longRawSql?.close()
  await warehouse?.close()
  rmSync(dir, { recursive: true, force: true })
})

const WRITER_PASSWORD = 'writer-secret'
const WRITER = { authorization: `Basic ${Buffer.from(`ops:${WRITER_PASSWORD}`).toString('base64')}` }
const ERROR_BODY = /^Code: (\d+)\. DB::Exception: .+ \(([A-Z_]+)\) \(version [\d.]+\)\n$/s

async function send(sql: string, query: Record<string, string> = {}, headers: Record<string, string> = {}, prefix = '/clickhouse') {
  const res = await fetch(`${base}${prefix}/?${new URLSearchParams(query).toString()}`, { method: 'POST', body: sql, headers })
  return { status: res.status, code: res.headers.get('x-clickhouse-exception-code'), text: await res.text() }
}

/** Whether the engine still runs a query whose text contains `needle` (read through the warehouse's own session). */
async function running(needle: string): Promise<boolean> {
  const rows = await warehouse.select<{ n: number }>('SELECT count() AS n FROM system.processes WHERE position(query, {needle:String}) > 0 AND position(query, \'system.processes\') = 0', { needle })
  return (rows[0]?.n ?? 0) > 0
}

async function until(condition: () => Promise<boolean>, what: string, polls = 2000): Promise<void> {
  for (let i = 0; i < polls; i++) {
    if (await condition()) return
    await new Promise((r) => setImmediate(r))
  }
  throw new Error(`gave up waiting for ${what}`)
}

describe('ClickHouse endpoint attack corpus', () => {
  it.each(ATTACKS.map((a) => [a.name, a] as const))('refuses: %s', async (_name, attack) => {
    const res = await send(attack.sql, attack.query, attack.headers)
    expect(res.code, res.text).toBe(String(attack.code))
    expect(res.text).toMatch(ERROR_BODY)
    expect(res.status).toBeGreaterThanOrEqual(400)
    expect(res.text).not.toContain(canary)
    expect(res.text).not.toMatch(/root:x?:0:0/)
  })

  it.each(WRITE_ATTACKS.map((a) => [a.name, a] as const))('refuses on the writable endpoint: %s', async (_name, attack) => {
    const res = await send(attack.sql, attack.query, { ...WRITER, ...attack.headers }, '/rw')
    expect(res.code, res.text).toBe(String(attack.code))
    expect(res.text).toMatch(ERROR_BODY)
    expect(res.text).not.toMatch(/root:x?:0:0/)
  })

  it('left no table, file or disk behind the write attempts', async () => {
    expect(await warehouse.select("SELECT name FROM system.tables WHERE (name LIKE 'w\\_%' OR name = 'leak') AND database IN ('default', 'system')")).toEqual([])
    expect(existsSync('/tmp/runway-leak.csv') || existsSync('/tmp/runway-leak.txt') || existsSync('/tmp/runway-disk') || existsSync('/tmp/runway-backup')).toBe(false)
  })

  it('reads the canary file neither by path nor relative to the data directory', async () => {
    for (const p of [join(dir, 'secret.txt'), 'secret.txt', '../secret.txt']) {
      const res = await send(`SELECT file('${p}')`)
      expect(res.code).toBe('497')
      expect(res.text).not.toContain(canary)
    }
  })

  it('still answers what analysts and clients need', async () => {
    const ok = [
      "SELECT count() FROM events WHERE experiment_id = 'exp-att'",
      'SELECT version(), timezone()',
      // clickhouse-java's handshake (JDBC, DBeaver).
      "select currentUser(), timezone(), version(), getSetting('readonly') readonly FORMAT RowBinaryWithNamesAndTypes",
      "SELECT name, value FROM system.settings WHERE name = 'readonly'",
      'SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name FORMAT JSONEachRow',
      'SELECT table_name FROM information_schema.tables LIMIT 1',
      'WITH t AS (SELECT variant, count() AS n FROM events GROUP BY variant) SELECT sum(n) FROM t',
      'SELECT sumIf(value, variant = \'control\'), quantilesTDigest(0.5, 0.9)(value), uniqExactState(unit_id) IS NOT NULL FROM events',
      'SELECT number, row_number() OVER (ORDER BY number) FROM numbers(3)',
      'SHOW TABLES',
      'DESCRIBE TABLE events',
      'EXISTS TABLE api_tokens',
      'EXPLAIN SELECT count() FROM events',
      "SELECT toStartOfHour(ts), domain('https://x.example/a'), lower('A') FROM events",
    ]
    for (const sql of ok) {
      const res = await send(sql)
      expect(res.status, `${sql}: ${res.text}`).toBe(200)
    }
  })
})

describe('ClickHouse endpoint limits', () => {
  it('ends an unbounded scan at the time limit, and the API answers meanwhile', async () => {
    const heavy = send('SELECT sum(number) FROM numbers_mt(1e12)')
    let settled = false
    void heavy.then(() => (settled = true))
    await until(() => running('numbers_mt(1e12)'), 'the heavy query to start')
    const health = await fetch(`${base}/healthz`)
    expect(await health.json()).toEqual({ ok: true })
    expect(settled).toBe(false)
    const res = await heavy
    expect(res.code, res.text).toBe('159')
    expect(res.text).toMatch(/TIMEOUT_EXCEEDED/)
  })

  it('ends a query over the memory limit', async () => {
    const res = await send('SELECT length(groupArray(number)) FROM numbers(3e8)')
    expect(res.code, res.text).toBe('241')
  })

  it('ends a result over the size limit instead of building it', async () => {
    const res = await send('SELECT number, toString(number) FROM numbers(1e8)')
    expect(res.code, res.text).toBe('396')
  })

  it('kills the query when the client goes away', async () => {
    const ac = new AbortController()
    const request = fetch(`${base}/long/`, { method: 'POST', body: 'SELECT sum(number) FROM numbers_mt(1e13) AS disconnect_probe', signal: ac.signal }).catch((e: unknown) => e)
    await until(() => running('disconnect_probe'), 'the query to start')
    ac.abort()
    await request
    // Its limit is an hour, and the polls give up long before: gone means the endpoint killed it.
    await until(async () => !(await running('disconnect_probe')), 'the query to be killed', 500)
    // The one slot is free again.
    expect((await send('SELECT 1', {}, {}, '/long')).text).toBe('1\n')
  })

  it('kills the query whenever the caller goes away, also during the checks before it and just after it is handed over', async () => {
    // The checks before the query are several engine calls; an abort landing in them,
    // or before the engine lists the query, must still end it (its limit is an hour).
    for (const delayMs of [0, 1, 2, 4, 8, 16, 32, 64, 128]) {
      const ac = new AbortController()
      const run = longRawSql.run(`SELECT sum(number) FROM numbers_mt(1e13) AS early_abort_${delayMs}`, {}, { readonly: true, signal: ac.signal })
      setTimeout(() => ac.abort(), delayMs)
      await expect(run, `abort after ${delayMs} ms`).rejects.toMatchObject({ type: 'QUERY_WAS_CANCELLED' })
    }
    // Cancelled for the caller; the engine may list a killed query for a moment after that (the kill
    // is asynchronous under load, CI saw it). Its limit is an hour: gone within the polls means killed.
    await until(async () => !(await running('early_abort_')), 'the early-aborted queries to be killed')
  })

  it('inflates compressed bodies only up to the body limit', async () => {
    // 128 MiB of a query comment, gzip'd to about 128 KiB, streamed so this test does not hold it either.
    const gz = createGzip({ level: 1 })
    const chunks: Buffer[] = []
    gz.on('data', (c: Buffer) => chunks.push(c))
    const done = new Promise((r) => gz.on('end', r))
    gz.write('SELECT 1 /*')
    const block = Buffer.alloc(1024 * 1024, 0x20)
    for (let i = 0; i < 128; i++) gz.write(block)
    gz.end('*/')
    await done
    const bomb = Buffer.concat(chunks)
    expect(bomb.length).toBeLessThan(1024 * 1024)
    for (const [encoding, body] of [
      ['gzip', bomb],
      ['deflate', deflateSync(Buffer.concat([Buffer.from('SELECT 1 /*'), Buffer.alloc(32 * 1024 * 1024, 0x20), Buffer.from('*/')]))],
      ['br', brotliCompressSync(Buffer.concat([Buffer.from('SELECT 1 /*'), Buffer.alloc(32 * 1024 * 1024, 0x20), Buffer.from('*/')]))],
    ] as const) {
      const res = await fetch(`${base}/clickhouse/`, { method: 'POST', body, headers: { 'content-encoding': encoding } })
      expect(res.headers.get('x-clickhouse-exception-code'), encoding).toBe('229')
      expect(res.status).toBe(413)
      expect(await res.text()).toMatch(/inflates to more than/)
    }
    const small = await fetch(`${base}/clickhouse/`, { method: 'POST', body: deflateSync(Buffer.from('SELECT 7')), headers: { 'content-encoding': 'deflate' } })
    expect(await small.text()).toBe('7\n')
  })
})
