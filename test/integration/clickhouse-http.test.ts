import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chdbRawSql, type ChdbRawSql } from '../../src/adapters/warehouse/chdb-raw-sql.js'
import { embeddedWarehouse, type ClickHouseWarehouse } from '../../src/adapters/warehouse/clickhouse-warehouse.js'
import { registerClickHouseRoutes } from '../../src/api/routes/clickhouse-http.js'
import type { EventRow } from '../../src/domain/telemetry.js'
import { migrate } from '../../src/services/migrate.js'
import { migrationFiles } from '../../src/sql-files.js'
import { pythonEnv } from '../support/python.js'

const dir = mkdtempSync(join(tmpdir(), 'runway-ch-http-'))
const path = join(dir, 'warehouse')
let warehouse: ClickHouseWarehouse
let rawSql: ChdbRawSql
let app: FastifyInstance
let base = ''
const clients: ClickHouseClient[] = []

/** Endpoints over one warehouse: read-only (defaults), writable with a password, one query slot, read-only with a password. */
beforeAll(async () => {
  warehouse = embeddedWarehouse(path)
  await migrate(warehouse)
  const rows: EventRow[] = Array.from({ length: 20 }, (_, i) => ({
    event_id: `e${i}`,
    ts: `2026-03-02 00:00:${String(i).padStart(2, '0')}.000`,
    experiment_id: 'exp-ch',
    variant: i % 2 === 0 ? 'control' : 'treatment',
    unit_id: `u${String(i).padStart(2, '0')}`,
    service: 'checkout',
    metric: 'latency_ms',
    value: 100 + i,
    attributes: { country: i < 10 ? 'DE' : 'FR' },
    received_at: '2026-03-02 00:01:00.000',
  }))
  await warehouse.insert('events', rows)
  rawSql = chdbRawSql({ path, maxConcurrent: 4 })
  // Set up like src/api/server.ts: small body limit, every body parsed as a string at the root.
  app = Fastify({ bodyLimit: 1024 })
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body))
  app.get('/healthz', async () => ({ ok: true }))
  registerClickHouseRoutes(app, { rawSql })
  registerClickHouseRoutes(app, { rawSql, prefix: '/rw', writable: true, user: 'analyst', password: 's3cret' })
  // One slot and a 2 s time limit: a heavy query holds the slot until the limit ends it.
  registerClickHouseRoutes(app, { rawSql: chdbRawSql({ path, maxConcurrent: 1, queueMaxWaitMs: 300, limits: { maxExecutionSeconds: 2 } }), prefix: '/one' })
  registerClickHouseRoutes(app, { rawSql, prefix: '/ro-auth', user: 'analyst', password: 'pw' })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
})

afterAll(async () => {
  for (const c of clients) await c.close()
  await app?.close()
  await rawSql?.close()
  await warehouse?.close()
  rmSync(dir, { recursive: true, force: true })
})

function client(options: Parameters<typeof createClient>[0] = {}): ClickHouseClient {
  // The client logs every server error at WARN; these tests provoke them on purpose.
  const c = createClient({ url: base, pathname: '/clickhouse', log: { level: ClickHouseLogLevel.OFF }, ...options })
  clients.push(c)
  return c
}

async function post(sql: string, query = '', prefix = '/clickhouse', headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${prefix}/${query ? `?${query}` : ''}`, { method: 'POST', body: sql, headers })
  return { status: res.status, headers: res.headers, text: await res.text() }
}

const ERROR_BODY = /^Code: (\d+)\. DB::Exception: .+ \(([A-Z_]+)\) \(version [\d.]+\)\n$/s

describe('ClickHouse HTTP endpoint with the official Node client', () => {
  it('answers ping', async () => {
    expect(await client().ping()).toEqual({ success: true })
    const res = await fetch(`${base}/clickhouse/ping`)
    expect(await res.text()).toBe('Ok.\n')
  })

  it('runs a JSONEachRow query against the warehouse tables', async () => {
    const rs = await client().query({
      query: "SELECT variant, count() AS n, sum(value) AS total FROM events WHERE experiment_id = 'exp-ch' GROUP BY variant ORDER BY variant",
      format: 'JSONEachRow',
    })
    expect(await rs.json()).toEqual([
      { variant: 'control', n: 10, total: 1090 },
      { variant: 'treatment', n: 10, total: 1100 },
    ])
  })

  it('binds query_params of several types server-side', async () => {
    const rs = await client().query({
      query:
        'SELECT {s:String} AS s, {n:UInt64} AS n, {f:Float64} AS f, {a:Array(String)} AS a, {d:Date} AS d, {dt:DateTime} AS dt, ' +
        '{z:Nullable(Int32)} AS z, {b:Bool} AS b, {m:Map(String, UInt8)} AS m, (SELECT count() FROM {t:Identifier} WHERE variant = {v:String}) AS c',
      query_params: {
        s: "it's a \\ back\tslash",
        n: '18446744073709551615',
        f: 2.5,
        a: ['x', "y'z"],
        d: '2026-03-02',
        dt: '2026-03-02 10:11:12',
        z: null,
        b: true,
        m: { k: 7 },
        t: 'events',
        v: 'control',
      },
      format: 'JSONEachRow',
      // 64-bit integers as JSON strings, so UInt64's top value survives JavaScript numbers.
      clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
    })
    expect(await rs.json()).toEqual([
      { s: "it's a \\ back\tslash", n: '18446744073709551615', f: 2.5, a: ['x', "y'z"], d: '2026-03-02', dt: '2026-03-02 10:11:12', z: null, b: true, m: { k: 7 }, c: '10' },
    ])
  })

  it('refuses an insert in read-only mode with READONLY (164)', async () => {
    const err = await client()
      .insert({ table: 'events', values: [{ event_id: 'x' }], format: 'JSONEachRow' })
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ code: '164', type: 'READONLY' })
    expect(await warehouse.select("SELECT count() AS n FROM events WHERE event_id = 'x'")).toEqual([{ n: 0 }])
  })

  it('surfaces command errors with ClickHouse code and type', async () => {
    const c = client()
    await expect(c.command({ query: 'CREATE TABLE t_no (x UInt8) ENGINE = Memory' })).rejects.toMatchObject({ code: '164', type: 'READONLY' })
    await expect(c.query({ query: 'SELEC 1' })).rejects.toMatchObject({ code: '62', type: 'SYNTAX_ERROR' })
    await expect(c.query({ query: 'SELECT * FROM no_such_table' })).rejects.toMatchObject({ code: '60', type: 'UNKNOWN_TABLE' })
    await expect(c.query({ query: 'SELECT {x:UInt8}' })).rejects.toMatchObject({ code: '456', type: 'UNKNOWN_QUERY_PARAMETER' })
  })

  it('applies the settings clients send and reports the summary', async () => {
    const rs = await client({ clickhouse_settings: { output_format_json_quote_64bit_integers: 1, wait_end_of_query: 1 } }).query({
      query: 'SELECT count() AS n FROM events',
      format: 'JSONEachRow',
    })
    expect(await rs.json()).toEqual([{ n: '20' }])
    const summary = await client().command({ query: 'SELECT 1' })
    expect(summary.summary).toMatchObject({ result_rows: '1' })
  })

  it('serves gzip when the client asks for compressed responses', async () => {
    const rs = await client({ compression: { response: true } }).query({ query: 'SELECT unit_id FROM events ORDER BY unit_id LIMIT 3', format: 'JSONEachRow' })
    expect(await rs.json()).toEqual([{ unit_id: 'u00' }, { unit_id: 'u01' }, { unit_id: 'u02' }])
    const res = await fetch(`${base}/clickhouse/?enable_http_compression=1&query=SELECT+42`, { headers: { 'accept-encoding': 'gzip' } })
    expect(res.headers.get('content-encoding')).toBe('gzip')
    // fetch decodes gzip itself; the raw check below proves the bytes really were gzip.
    expect(await res.text()).toBe('42\n')
    const { request } = await import('node:http')
    const raw = await new Promise<Buffer>((done, fail) => {
      request(`${base}/clickhouse/?enable_http_compression=1&query=SELECT+42`, { headers: { 'accept-encoding': 'gzip' } }, (r) => {
        const chunks: Buffer[] = []
        r.on('data', (c: Buffer) => chunks.push(c)).on('end', () => done(Buffer.concat(chunks)))
      })
        .on('error', fail)
        .end()
    })
    expect(gunzipSync(raw).toString()).toBe('42\n')
  })

  it('writes through the writable endpoint with credentials, and GET stays read-only there', async () => {
    const rw = client({ pathname: '/rw', username: 'analyst', password: 's3cret' })
    await rw.command({ query: 'CREATE TABLE IF NOT EXISTS scratch (k String, v Float64) ENGINE = MergeTree ORDER BY k' })
    await rw.insert({ table: 'scratch', values: [{ k: 'a', v: 1.5 }, { k: 'b', v: 2 }], format: 'JSONEachRow' })
    expect(await warehouse.select('SELECT k, v FROM scratch ORDER BY k')).toEqual([
      { k: 'a', v: 1.5 },
      { k: 'b', v: 2 },
    ])
    const get = await fetch(`${base}/rw/?query=${encodeURIComponent('DROP TABLE scratch')}`, { headers: { 'X-ClickHouse-User': 'analyst', 'X-ClickHouse-Key': 's3cret' } })
    expect(get.status).toBe(403)
    expect(get.headers.get('x-clickhouse-exception-code')).toBe('164')
    await expect(client({ pathname: '/rw', username: 'analyst', password: 'wrong' }).query({ query: 'SELECT 1' })).rejects.toMatchObject({
      code: '516',
      type: 'AUTHENTICATION_FAILED',
    })
    const basic = await post('SELECT 1', '', '/rw', { authorization: `Basic ${Buffer.from('analyst:s3cret').toString('base64')}` })
    expect(basic).toMatchObject({ status: 200, text: '1\n' })
    expect((await post('SELECT 1', '', '/rw')).status).toBe(401)
  })
})

describe('ClickHouse HTTP endpoint, writable (Runway processes using this warehouse)', () => {
  it("accepts every statement of Runway's migrations", async () => {
    for (const m of migrationFiles()) {
      for (const statement of m.statements) {
        const res = await post(statement, '', '/rw', { authorization: `Basic ${Buffer.from('analyst:s3cret').toString('base64')}` })
        expect(res.status, `${m.name}: ${statement}\n${res.text}`).toBe(200)
      }
    }
  })

  it("checks a view's new query (MODIFY QUERY) like a new view's: no file reads, no other databases", async () => {
    const auth = { authorization: `Basic ${Buffer.from('analyst:s3cret').toString('base64')}` }
    for (const select of ["SELECT * FROM file('/etc/passwd', 'LineAsString')", 'SELECT name FROM system.users', "SELECT * FROM url('http://127.0.0.1:1/', 'CSV')"]) {
      const res = await post(`ALTER TABLE events_in_mv MODIFY QUERY ${select}`, '', '/rw', auth)
      expect(res.status, `${select}: ${res.text}`).toBe(403)
    }
  })
})

describe('ClickHouse HTTP endpoint protocol', () => {
  it('takes the query from the URL, the body, or both (URL first, then body)', async () => {
    const get = await fetch(`${base}/clickhouse/?query=${encodeURIComponent('SELECT 1 + 1')}`)
    expect(await get.text()).toBe('2\n')
    expect((await post('SELECT 3')).text).toBe('3\n')
    expect((await post('FROM events WHERE unit_id = {u:String}', `query=${encodeURIComponent('SELECT count()')}&param_u=u03`)).text).toBe('1\n')
    expect(await (await fetch(`${base}/clickhouse/`)).text()).toBe('Ok.\n')
  })

  it('keeps its own body limit and parser inside an app with a small limit', async () => {
    const long = `SELECT length('${'x'.repeat(5000)}')`
    expect(await post(long, '', '/clickhouse', { 'content-type': 'application/json' })).toMatchObject({ status: 200, text: '5000\n' })
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ ok: true })
  })

  it('refuses ClickHouse-native compression with a clear error instead of undecodable bytes', async () => {
    const res = await post('SELECT 1', 'compress=1')
    expect(res.status).toBe(501)
    expect(res.text).toMatch(/^Code: 48\. DB::Exception: .*compress=false.* \(NOT_IMPLEMENTED\)/)
  })

  it('can be mounted at the root, where tools without a path setting look for it', async () => {
    const root = Fastify()
    registerClickHouseRoutes(root, { rawSql, prefix: '' })
    await root.listen({ host: '127.0.0.1', port: 0 })
    try {
      const address = root.server.address()
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
      expect(await (await fetch(`${url}/ping`)).text()).toBe('Ok.\n')
      const c = createClient({ url, log: { level: ClickHouseLogLevel.OFF } })
      const rs = await c.query({ query: "SELECT count() AS n FROM events WHERE experiment_id = 'exp-ch'", format: 'JSONEachRow' })
      expect(await rs.json()).toEqual([{ n: 20 }])
      await c.close()
    } finally {
      await root.close()
    }
  })

  it('sets ClickHouse response headers; FORMAT in SQL wins over default_format', async () => {
    const res = await post('SELECT 1 AS one FORMAT JSONCompact', 'default_format=CSV&query_id=my-query-1')
    expect(res.status).toBe(200)
    expect(res.headers.get('x-clickhouse-format')).toBe('JSONCompact')
    expect(res.headers.get('x-clickhouse-query-id')).toBe('my-query-1')
    expect(res.headers.get('x-clickhouse-timezone')).toMatch(/UTC/)
    expect(res.headers.get('x-clickhouse-server-display-name')).toBeTruthy()
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(JSON.parse(res.headers.get('x-clickhouse-summary') ?? '')).toMatchObject({ result_rows: '1', written_rows: '0' })
    expect(JSON.parse(res.text).data).toEqual([[1]])
    const csv = await post("SELECT 'a' AS x", 'default_format=CSVWithNames')
    expect(csv.text).toBe('"x"\n"a"\n')
    expect(csv.headers.get('x-clickhouse-format')).toBe('CSVWithNames')
    const tsv = await post("SELECT 'FORMAT JSON' AS `FORMAT`")
    expect(tsv.headers.get('x-clickhouse-format')).toBe('TabSeparated')
    expect(tsv.text).toBe('FORMAT JSON\n')
  })

  it('renders errors as ClickHouse does, with the exception code header', async () => {
    const res = await post('SELECT * FROM no_such_table')
    expect(res.status).toBe(404)
    expect(res.headers.get('x-clickhouse-exception-code')).toBe('60')
    expect(res.text).toMatch(ERROR_BODY)
    expect(res.text).toMatch(/^Code: 60\. DB::Exception: .*no_such_table.* \(UNKNOWN_TABLE\)/)
    const empty = await post('')
    expect(empty.text).toMatch(/^Code: 62\. DB::Exception: Empty query\. \(SYNTAX_ERROR\)/)
  })

  // Each case: what a read-only caller tries, and the ClickHouse code that must refuse it.
  const refused: Array<[string, string, number]> = [
    ['insert', "INSERT INTO events (event_id) VALUES ('bad')", 164],
    ['create', 'CREATE TABLE evil (x UInt8) ENGINE = Memory', 164],
    ['drop', 'DROP TABLE events', 164],
    ['alter', 'ALTER TABLE events DELETE WHERE 1', 164],
    ['truncate', 'TRUNCATE TABLE events', 164],
    ['set readonly', 'SET readonly = 0', 164],
    ['set other', 'SET max_threads = 7', 164],
    ['kill', 'KILL QUERY WHERE 1', 164],
    ['system', 'SYSTEM FLUSH LOGS', 164],
    ['insert hidden in comment-led text', "/* SELECT */ INSERT INTO events (event_id) VALUES ('bad')", 164],
    ['multi-statement', 'SELECT 1; DROP TABLE events', 62],
    // These pass the statement-kind check; the engine's own readonly = 1 refuses them.
    ['query-level setting override', 'SELECT count() FROM events SETTINGS readonly = 0', 164],
    ['query-level setting change', 'SELECT count() FROM events SETTINGS max_threads = 7', 164],
    // Refused by the allow-lists (test/integration/clickhouse-attacks.test.ts holds the full corpus).
    ['file() table function', "SELECT * FROM file('/etc/hostname', 'LineAsString')", 497],
    ['url() table function', "SELECT * FROM url('http://127.0.0.1:9/x', 'CSV', 'x String')", 497],
    ['insert behind WITH', "WITH 1 AS x INSERT INTO events (event_id) VALUES ('bad')", 164],
    ['into outfile', `SELECT 1 INTO OUTFILE '${join(dir, 'leak.txt')}'`, 358],
  ]
  it.each(refused)('refuses %s in read-only mode', async (_name, sql, code) => {
    const res = await post(sql)
    expect(res.headers.get('x-clickhouse-exception-code'), res.text).toBe(String(code))
    expect(res.text).toMatch(ERROR_BODY)
    expect(res.status).toBeGreaterThanOrEqual(400)
  })

  it('left the data untouched after the refused attempts', async () => {
    expect(await warehouse.select("SELECT count() AS n FROM events WHERE experiment_id = 'exp-ch'")).toEqual([{ n: 20 }])
    expect(existsSync(join(dir, 'leak.txt'))).toBe(false)
    expect(await warehouse.select("SELECT getSetting('readonly') AS r")).toEqual([{ r: 0 }])
  })

  it('refuses settings that would lift the gate, and keeps settings per request', async () => {
    expect((await post('SELECT 1', 'dialect=prql')).headers.get('x-clickhouse-exception-code')).toBe('164')
    const setting = (name: string) => `SELECT value FROM system.settings WHERE name = '${name}'`
    expect((await post(setting('session_timezone'), 'session_timezone=Europe/Berlin')).text).toBe('Europe/Berlin\n')
    expect((await post(setting('session_timezone'))).text).toBe('\n')
    expect((await post(setting('readonly'), 'readonly=0')).text).toBe('1\n')
  })

  it('queues a query over the concurrency limit, then refuses it with TOO_MANY_SIMULTANEOUS_QUERIES once the wait runs out', async () => {
    const slow = post('SELECT count() FROM numbers_mt(1e13)', '', '/one')
    // Wait until the heavy query holds the slot (the warehouse's own session may read system.processes).
    for (let i = 0; i < 200; i++) {
      const [row] = await warehouse.select<{ n: number }>("SELECT count() AS n FROM system.processes WHERE query LIKE '%numbers_mt(1e13)%' AND query NOT LIKE '%system.processes%'")
      if (row && row.n > 0) break
      await new Promise((r) => setImmediate(r))
    }
    const started = Date.now()
    const busy = await post('SELECT 1', '', '/one')
    expect(busy.status).toBe(503)
    expect(busy.headers.get('x-clickhouse-exception-code')).toBe('202')
    expect(Date.now() - started).toBeGreaterThanOrEqual(250) // it waited for a slot first
    // The operator's time limit ended it.
    expect((await slow).headers.get('x-clickhouse-exception-code')).toBe('159')
    // Within the wait, a queued query runs as soon as the slot frees.
    const a = post('SELECT count() FROM numbers(1e7)', '', '/one')
    const b = post('SELECT 2', '', '/one')
    expect((await a).status).toBe(200)
    expect((await b).status).toBe(200)
  })
})

describe('ClickHouse HTTP endpoint with Python clickhouse-connect', () => {
  it('connects, runs parameterized queries, reads rows and a DataFrame, and sees errors', async () => {
    const script = resolve(dirname(fileURLToPath(import.meta.url)), '../support/py/clickhouse-connect-check.py')
    const python = resolve(pythonEnv, 'bin/python')
    expect(existsSync(python), `run scripts/setup-python.sh to create ${pythonEnv}`).toBe(true)
    const { port } = new URL(base)
    const input = JSON.stringify({ host: '127.0.0.1', port: Number(port), path: '/ro-auth', user: 'analyst', password: 'pw', experiment: 'exp-ch' })
    // Async spawn: the endpoint lives in this process, so a blocking spawn would deadlock it.
    const out = await new Promise<string>((done, fail) => {
      const child = spawn(python, [script], { stdio: ['pipe', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
      child.on('error', fail)
      child.on('close', (status) => {
        clearTimeout(timer)
        if (status === 0) done(stdout)
        else fail(new Error(`clickhouse-connect-check.py exited ${status}:\n${stderr}`))
      })
      child.stdin.end(input)
    })
    const r = JSON.parse(out)
    expect(r.ping).toBe(true)
    expect(r.server_version).toMatch(/^\d+\.\d+/)
    expect(r.columns).toEqual(['variant', 'n', 'mean'])
    expect(r.rows).toEqual([
      ['control', 10, 109],
      ['treatment', 10, 110],
    ])
    expect(r.typed).toEqual(["it's\ta \\ test", [1, 2, 3], '2026-03-02', '18446744073709551615'])
    expect(r.df).toEqual({ shape: [20, 4], columns: ['unit_id', 'variant', 'value', 'ts'], value_sum: 2190 })
    expect(r.create).toMatch(/Code: 164\b.*READONLY/s)
    expect(r.missing).toMatch(/Code: 60\b|UNKNOWN_TABLE/)
  })
})
