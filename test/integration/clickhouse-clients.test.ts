import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createClient } from '@clickhouse/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AnalystServer, createToken, startAnalystServer } from '../support/analyst-server.js'
import { ROOT, runCli } from '../support/cli.js'
import { pythonEnv } from '../support/python.js'

/**
 * The clients analysts use, against a real `runway serve` with RUNWAY_AUTH=required and the
 * ClickHouse interface on a port of its own: the ClickHouse JDBC driver from Maven Central
 * (DBeaver, DataGrip, Metabase), Python clickhouse-connect, and @clickhouse/client. Each runs
 * a parameterised query over the analyst views with a token as the password; the oracle is
 * the same query sent as plain HTTP to /clickhouse on the API port.
 */
const dir = mkdtempSync(join(tmpdir(), 'runway-ch-clients-'))
const dataDir = join(dir, 'data')
const EXPERIMENT = 'checkout-redesign'
let server: AnalystServer
let outsider = ''
const ORACLE_SQL = `SELECT variant, toInt64(count()) AS units, sum(value_sum) AS total FROM analytics.v1_unit_metrics WHERE experiment_id = '${EXPERIMENT}' AND metric = 'conversion' GROUP BY variant ORDER BY variant FORMAT JSONCompactEachRow`
let oracle: Array<[string, number, number]> = []

/** The driver's jars, resolved by Maven into .cache/m2 (offline once cached). */
function jdbcClasspath(): string {
  const out = resolve(ROOT, '.cache/jdbc-classpath.txt')
  const args = ['-q', '-B', `-Dmaven.repo.local=${resolve(ROOT, '.cache/m2')}`, '-f', resolve(ROOT, 'test/support/jdbc/pom.xml'), 'dependency:build-classpath', `-Dmdep.outputFile=${out}`]
  let r = spawnSync('mvn', ['-o', ...args], { encoding: 'utf8' })
  if (r.status !== 0) r = spawnSync('mvn', args, { encoding: 'utf8' })
  if (r.status !== 0 || !existsSync(out)) throw new Error(`mvn could not resolve com.clickhouse:clickhouse-jdbc: ${r.stdout}${r.stderr}`)
  return readFileSync(out, 'utf8').trim()
}

function jdbc(password: string): { status: number | null; lines: string[]; stderr: string } {
  const url = `jdbc:clickhouse://127.0.0.1:${server.chPort}/default?compress=false`
  const r = spawnSync('java', ['-cp', jdbcClasspath(), resolve(ROOT, 'test/support/jdbc/JdbcCheck.java'), url, 'analyst', password, EXPERIMENT, 'conversion'], { encoding: 'utf8', timeout: 120_000 })
  return { status: r.status, lines: r.stdout.trim().split('\n'), stderr: r.stderr }
}

beforeAll(async () => {
  const seeded = await runCli(['simulate', 'scenarios/demo.yaml', '--data-dir', dataDir, '--json'], { cwd: ROOT, timeoutMs: 300_000 })
  expect(seeded.code, seeded.stderr).toBe(0)
  server = await startAnalystServer(dataDir)
  outsider = await createToken(server, 'viewer', 'elsewhere')
  const res = await fetch(`${server.url}/clickhouse/`, { method: 'POST', body: ORACLE_SQL, headers: { authorization: `Bearer ${server.admin}` } })
  const text = await res.text()
  expect(res.status, text).toBe(200)
  oracle = text.trim().split('\n').map((l) => JSON.parse(l) as [string, number, number])
  expect(oracle.map((r) => r[0])).toEqual(['control', 'treatment'])
  expect(oracle.every((r) => r[1] > 100)).toBe(true)
}, 400_000)

afterAll(() => {
  server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('analyst clients on the ClickHouse port', () => {
  it('JDBC: bound parameters, the analyst views in DatabaseMetaData, columns as DESCRIBE has them', async () => {
    const r = jdbc(server.admin)
    expect(r.status, r.stderr).toBe(0)
    const rows = r.lines.filter((l) => l.startsWith('row\t')).map((l) => l.split('\t').slice(1))
    expect(rows.map(([v, n, t]) => [v, Number(n), Number(t)])).toEqual(oracle)
    expect(r.lines).toContain('columns\tvariant,units,total')
    const results = Number(r.lines.find((l) => l.startsWith('results\t'))?.split('\t')[1])
    expect(results).toBeGreaterThan(0)
    const tables = r.lines.filter((l) => l.startsWith('table\t')).map((l) => l.split('\t')[1])
    expect(tables).toEqual(expect.arrayContaining(['analytics.v1_results', 'analytics.v1_unit_metrics', 'analytics.v1_experiments']))
    expect(r.lines).toContain('schema\tanalytics')
    // The JVM ran synchronously past the server's keep-alive timeout, so a pooled socket may be closed: one retry.
    const ask = () => fetch(`${server.chUrl}/`, { method: 'POST', body: 'DESCRIBE TABLE analytics.v1_results FORMAT TSVRaw', headers: { authorization: `Bearer ${server.admin}` } }).then((x) => x.text())
    const describe = await ask().catch(ask)
    const expected = describe.trim().split('\n').map((l) => `column\t${l.split('\t')[0]}\t${l.split('\t')[1]}`)
    expect(r.lines.filter((l) => l.startsWith('column\t'))).toEqual(expected)
  }, 180_000)

  it('JDBC: a token for another namespace connects but reads no rows; a wrong token is refused', () => {
    const limited = jdbc(outsider)
    expect(limited.status, limited.stderr).toBe(0)
    expect(limited.lines.filter((l) => l.startsWith('row\t'))).toEqual([])
    expect(limited.lines).toContain('results\t0')
    const wrong = jdbc('rw_0000000000000000_notatokennotatokennotatokennotatokennotatok')
    expect(wrong.status).not.toBe(0)
    expect(wrong.stderr).toMatch(/AUTHENTICATION_FAILED|Authentication failed/)
  }, 180_000)

  it('clickhouse-connect (Python, pandas): query_df with parameters, token as the password', () => {
    const script = [
      'import json, sys, clickhouse_connect',
      'a = json.load(sys.stdin)',
      "c = clickhouse_connect.get_client(host='127.0.0.1', port=a['port'], username='analyst', password=a['token'], compress=False)",
      "df = c.query_df('SELECT variant, toInt64(count()) AS units, sum(value_sum) AS total FROM analytics.v1_unit_metrics WHERE experiment_id = {e:String} AND metric = {m:String} GROUP BY variant ORDER BY variant', parameters={'e': a['experiment'], 'm': 'conversion'})",
      "print(json.dumps([[str(r.variant), int(r.units), float(r.total)] for r in df.itertuples()]))",
    ].join('\n')
    const r = spawnSync(resolve(pythonEnv, 'bin/python'), ['-c', script], { input: JSON.stringify({ port: server.chPort, token: server.admin, experiment: EXPERIMENT }), encoding: 'utf8', timeout: 120_000 })
    expect(r.status, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual(oracle)
  }, 180_000)

  it('@clickhouse/client: query_params over the ClickHouse port and under /clickhouse', async () => {
    for (const [url, pathname] of [[server.chUrl, undefined], [server.url, '/clickhouse']] as const) {
      const client = createClient({ url, ...(pathname ? { pathname } : {}), username: 'analyst', password: server.admin, compression: { request: false, response: false } })
      try {
        const rs = await client.query({
          query: 'SELECT variant, toInt64(count()) AS units, sum(value_sum) AS total FROM analytics.v1_unit_metrics WHERE experiment_id = {e:String} AND metric = {m:String} GROUP BY variant ORDER BY variant',
          query_params: { e: EXPERIMENT, m: 'conversion' },
          format: 'JSONCompactEachRow',
        })
        const rows = (await rs.json()) as Array<[string, string | number, number]>
        expect(rows.map(([v, n, t]) => [v, Number(n), t]), url).toEqual(oracle)
      } finally {
        await client.close()
      }
    }
  })

  it('the ClickHouse port serves only the ClickHouse interface, not the API', async () => {
    const res = await fetch(`${server.chUrl}/v1/experiments`, { headers: { authorization: `Bearer ${server.admin}` } })
    expect(res.status).toBe(404)
    const api = await fetch(`${server.url}/v1/experiments`, { headers: { authorization: `Bearer ${server.admin}` } })
    expect(api.status).toBe(200)
  })
})
