import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ClickHouseLogLevel, createClient } from '@clickhouse/client'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SystemClock } from '../../src/adapters/clock/system-clock.js'
import { chdbRawSql, type ChdbRawSql } from '../../src/adapters/warehouse/chdb-raw-sql.js'
import { embeddedWarehouse, type ClickHouseWarehouse } from '../../src/adapters/warehouse/clickhouse-warehouse.js'
import { registerClickHouseRoutes } from '../../src/api/routes/clickhouse-http.js'
import { loadConfig } from '../../src/config.js'
import { migrate } from '../../src/services/migrate.js'
import { TokenService } from '../../src/services/tokens.js'
import { pythonEnv } from '../support/python.js'

const dir = mkdtempSync(join(tmpdir(), 'runway-ch-auth-'))
const path = join(dir, 'warehouse')
let warehouse: ClickHouseWarehouse
let rawSql: ChdbRawSql
let app: FastifyInstance
let base = ''
const token: Record<'all' | 'alpha' | 'gamma' | 'admin' | 'revoked', string> = { all: '', alpha: '', gamma: '', admin: '', revoked: '' }

const event = (id: string, experiment: string) => ({
  event_id: id, ts: '2026-03-02 00:00:00.000', experiment_id: experiment, variant: 'control', unit_id: id, service: 's', metric: 'm', value: 1, attributes: {}, received_at: '2026-03-02 00:00:00.000',
})

beforeAll(async () => {
  warehouse = embeddedWarehouse(path)
  await migrate(warehouse)
  await warehouse.insert('experiments', [
    { id: 'exp-a', revision: 1, namespace: 'alpha', layer: 'l', spec: '{}', enqueued_at: '2026-03-01 00:00:00.000' },
    { id: 'exp-b', revision: 1, namespace: 'beta', layer: 'l', spec: '{}', enqueued_at: '2026-03-01 00:00:00.000' },
  ])
  await warehouse.insert('events', [event('a1', 'exp-a'), event('a2', 'exp-a'), event('b1', 'exp-b'), event('b2', 'exp-b'), event('b3', 'exp-b')])
  const tokens = new TokenService({ warehouse, clock: new SystemClock(), cacheTtlMs: 1000 })
  token.all = (await tokens.create({ name: 'analyst-all', role: 'viewer', namespace: '*' }, 'test')).token
  token.alpha = (await tokens.create({ name: 'analyst-alpha', role: 'viewer', namespace: 'alpha' }, 'test')).token
  token.gamma = (await tokens.create({ name: 'analyst-gamma', role: 'viewer', namespace: 'gamma' }, 'test')).token
  token.admin = (await tokens.create({ name: 'admin', role: 'admin', namespace: '*' }, 'test')).token
  const revoked = await tokens.create({ name: 'gone', role: 'viewer', namespace: '*' }, 'test')
  await tokens.revoke(revoked.record.id, 'test')
  token.revoked = revoked.token
  rawSql = chdbRawSql({ path, maxConcurrent: 2 })
  app = Fastify()
  registerClickHouseRoutes(app, { rawSql, tokens, authRequired: true })
  registerClickHouseRoutes(app, { rawSql, tokens, authRequired: true, prefix: '/rw', writable: true })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
})

afterAll(async () => {
  await app?.close()
  await rawSql?.close()
  await warehouse?.close()
  rmSync(dir, { recursive: true, force: true })
})

type Via = 'bearer' | 'basic' | 'headers'
function credentials(via: Via, secret: string | null): Record<string, string> {
  if (secret === null) return {}
  if (via === 'bearer') return { authorization: `Bearer ${secret}` }
  if (via === 'basic') return { authorization: `Basic ${Buffer.from(`analyst:${secret}`).toString('base64')}` }
  return { 'x-clickhouse-user': 'analyst', 'x-clickhouse-key': secret }
}

async function post(sql: string, headers: Record<string, string>, prefix = '/clickhouse') {
  const res = await fetch(`${base}${prefix}/`, { method: 'POST', body: sql, headers })
  return { status: res.status, code: res.headers.get('x-clickhouse-exception-code'), text: await res.text() }
}

const COUNTS = "SELECT experiment_id, count() FROM events GROUP BY experiment_id ORDER BY experiment_id FORMAT CSV"

describe('/clickhouse with RUNWAY_AUTH=required', () => {
  const vias: Via[] = ['bearer', 'basic', 'headers']
  // Who, what they send, and what they see: an error code, or the per-experiment counts.
  const matrix: Array<[string, () => string | null, { code: string } | { rows: string }]> = [
    ['anonymous', () => null, { code: '516' }],
    ['a malformed token', () => 'not-a-token', { code: '516' }],
    ['an unknown token', () => `rw_0123456789abcdef_${'A'.repeat(43)}`, { code: '516' }],
    ['a revoked token', () => token.revoked, { code: '516' }],
    ['a token of another namespace (gamma)', () => token.gamma, { rows: '' }],
    ['a token reading alpha', () => token.alpha, { rows: '"exp-a",2\n' }],
    ['a token reading every namespace', () => token.all, { rows: '"exp-a",2\n"exp-b",3\n' }],
  ]
  for (const via of vias) {
    it.each(matrix)(`${via}: %s`, async (_who, secret, expected) => {
      const res = await post(COUNTS, credentials(via, secret()))
      if ('code' in expected) {
        expect(res.code, res.text).toBe(expected.code)
        expect(res.status).toBe(401)
        expect(res.text).toMatch(/^Code: 516\. DB::Exception: .*\(AUTHENTICATION_FAILED\)/)
      } else {
        expect(res.status, res.text).toBe(200)
        expect(res.text).toBe(expected.rows)
      }
    })
  }

  it('filters every Runway table by the token namespaces, in subqueries and joins too', async () => {
    const h = credentials('bearer', token.alpha)
    expect((await post("SELECT id FROM experiments ORDER BY id FORMAT CSV", h)).text).toBe('"exp-a"\n')
    expect((await post("SELECT count() FROM (SELECT * FROM events WHERE experiment_id = 'exp-b')", h)).text).toBe('0\n')
    expect((await post("SELECT count() FROM events AS e JOIN experiments AS x ON e.experiment_id = x.id WHERE x.namespace = 'beta'", h)).text).toBe('0\n')
    expect((await post("WITH t AS (SELECT * FROM events) SELECT count() FROM t", h)).text).toBe('2\n')
  })

  it('never shows api_tokens, even to an admin on *', async () => {
    const res = await post('SELECT hash FROM api_tokens', credentials('bearer', token.admin))
    expect(res.code).toBe('497')
    expect(res.text).not.toMatch(/[0-9a-f]{64}/)
  })

  it('takes no token from the URL (it would end up in logs)', async () => {
    const res = await fetch(`${base}/clickhouse/?user=a&password=${token.all}&query=SELECT+1`)
    expect(res.headers.get('x-clickhouse-exception-code')).toBe('516')
  })

  it('writes only with admin on *', async () => {
    const insert = `INSERT INTO events FORMAT JSONEachRow ${JSON.stringify(event('w1', 'exp-w'))}`
    expect((await post(insert, credentials('basic', token.all), '/rw')).code).toBe('497')
    expect((await post(insert, credentials('basic', token.admin), '/rw')).status).toBe(200)
    expect(await warehouse.select("SELECT count() AS n FROM events WHERE event_id = 'w1'")).toEqual([{ n: 1 }])
  })

  it('works with the official Node client, the token as the password', async () => {
    const c = createClient({ url: base, pathname: '/clickhouse', username: 'analyst', password: token.alpha, log: { level: ClickHouseLogLevel.OFF } })
    try {
      expect(await (await c.query({ query: 'SELECT experiment_id, count() AS n FROM events GROUP BY experiment_id', format: 'JSONEachRow' })).json()).toEqual([{ experiment_id: 'exp-a', n: 2 }])
      const wrong = createClient({ url: base, pathname: '/clickhouse', username: 'analyst', password: 'nope', log: { level: ClickHouseLogLevel.OFF } })
      await expect(wrong.query({ query: 'SELECT 1' })).rejects.toMatchObject({ code: '516', type: 'AUTHENTICATION_FAILED' })
      await wrong.close()
    } finally {
      await c.close()
    }
  })

  it('works with Python clickhouse-connect, the token as the password', async () => {
    const script = resolve(dirname(fileURLToPath(import.meta.url)), '../support/py/clickhouse-connect-check.py')
    const python = resolve(pythonEnv, 'bin/python')
    expect(existsSync(python), `run scripts/setup-python.sh to create ${pythonEnv}`).toBe(true)
    const input = JSON.stringify({ host: '127.0.0.1', port: Number(new URL(base).port), path: '/clickhouse', user: 'analyst', password: token.alpha, experiment: 'exp-a' })
    const out = await new Promise<string>((done, fail) => {
      const child = spawn(python, [script], { stdio: ['pipe', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
      child.on('error', fail)
      child.on('close', (status) => (status === 0 ? done(stdout) : fail(new Error(`clickhouse-connect-check.py exited ${status}:\n${stderr}`))))
      child.stdin.end(input)
    })
    const r = JSON.parse(out)
    expect(r.ping).toBe(true)
    expect(r.rows).toEqual([['control', 2, 1]])
    expect(r.create).toMatch(/Code: 164\b/)
  })
})

describe('an endpoint that cannot be anonymous', () => {
  it('is not built without the token service when auth is required', () => {
    expect(() => registerClickHouseRoutes(Fastify(), { rawSql, authRequired: true })).toThrow(/token service/)
  })

  it('serve refuses a shared ClickHouse password with RUNWAY_AUTH=required', () => {
    expect(() => loadConfig({ RUNWAY_AUTH: 'required', RUNWAY_CLICKHOUSE_HTTP_PASSWORD: '' })).toThrow(/invalid environment configuration/)
    expect(() => loadConfig({ RUNWAY_AUTH: 'required', RUNWAY_CLICKHOUSE_HTTP_USER: 'x' })).toThrow(/invalid environment configuration/)
    expect(loadConfig({ RUNWAY_AUTH: 'required' }).clickhouseHttp.maxExecutionSeconds).toBe(60)
    expect(() => loadConfig({ RUNWAY_AUTH: 'off', RUNWAY_CLICKHOUSE_HTTP_PASSWORD: 'pw' })).not.toThrow()
  })
})
