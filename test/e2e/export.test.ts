import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Session } from 'chdb'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AnalystServer, createToken, startAnalystServer } from '../support/analyst-server.js'
import { ROOT, runCli } from '../support/cli.js'

/**
 * `runway export ID --format parquet|csv` through a seeded server with RUNWAY_AUTH=required: the
 * files the CLI writes hold the same rows the analyst views return (the Parquet read back by a
 * separate chDB session, the oracle the plain HTTP interface), and a token for another namespace
 * gets a refusal, not someone else's data.
 */
const EXPERIMENT = 'checkout-redesign'
const dir = mkdtempSync(join(tmpdir(), 'runway-export-'))
const dataDir = join(dir, 'data')
let server: AnalystServer

async function viaHttp(sql: string): Promise<string> {
  const res = await fetch(`${server.chUrl}/?param_e=${EXPERIMENT}`, { method: 'POST', body: sql, headers: { authorization: `Bearer ${server.admin}` } })
  expect(res.status).toBe(200)
  return (await res.text()).trim()
}

beforeAll(async () => {
  const seeded = await runCli(['simulate', 'scenarios/demo.yaml', '--data-dir', dataDir, '--json'], { cwd: ROOT, timeoutMs: 300_000 })
  expect(seeded.code, seeded.stderr).toBe(0)
  server = await startAnalystServer(dataDir)
}, 400_000)
afterAll(() => {
  server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('runway export', () => {
  it('writes Parquet files with the rows and sums of the analyst views', async () => {
    const out = join(dir, 'parquet')
    const r = await runCli(['export', EXPERIMENT, '--server', server.url, '--out', out], { env: { RUNWAY_TOKEN: server.admin } })
    expect(r.code, r.stderr).toBe(0)
    const units = join(out, `${EXPERIMENT}-unit-metrics.parquet`)
    const results = join(out, `${EXPERIMENT}-results.parquet`)
    expect(r.stdout.trim().split('\n')).toEqual([units, results])
    expect(readFileSync(units).subarray(0, 4).toString()).toBe('PAR1')
    const s = new Session(join(dir, 'reader'))
    try {
      const read = (sql: string) => s.query(sql, 'TSV').trim()
      const want = await viaHttp("SELECT count(), round(sum(value_sum), 6), uniqExact(unit_id) FROM analytics.v1_unit_metrics WHERE experiment_id = {e:String} FORMAT TSV")
      expect(read(`SELECT count(), round(sum(value_sum), 6), uniqExact(unit_id) FROM file('${units}', Parquet)`)).toBe(want)
      const wantResults = await viaHttp("SELECT count(), max(seq), round(sum(effect), 9) FROM analytics.v1_results WHERE experiment_id = {e:String} FORMAT TSV")
      expect(read(`SELECT count(), max(seq), round(sum(effect), 9) FROM file('${results}', Parquet)`)).toBe(wantResults)
      expect(Number(wantResults.split('\t')[0])).toBeGreaterThan(0)
    } finally {
      s.close()
    }
  }, 180_000)

  it('writes CSV with a header row and one line per unit × metric × variant', async () => {
    const out = join(dir, 'csv')
    const r = await runCli(['export', EXPERIMENT, '--server', server.url, '--out', out, '--format', 'csv'], { env: { RUNWAY_TOKEN: server.admin } })
    expect(r.code, r.stderr).toBe(0)
    const lines = readFileSync(join(out, `${EXPERIMENT}-unit-metrics.csv`), 'utf8').trim().split('\n')
    expect(lines[0]).toBe('"experiment_id","metric","variant","unit_id","event_count","value_sum","first_seen_at","last_seen_at"')
    expect(String(lines.length - 1)).toBe(await viaHttp('SELECT count() FROM analytics.v1_unit_metrics WHERE experiment_id = {e:String} FORMAT TSV'))
  }, 120_000)

  it("refuses an unknown format, and an experiment the token's namespaces do not hold", async () => {
    const bad = await runCli(['export', EXPERIMENT, '--server', server.url, '--out', join(dir, 'x'), '--format', 'xlsx'], { env: { RUNWAY_TOKEN: server.admin } })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--format must be parquet or csv')
    const outsider = await createToken(server, 'viewer', 'elsewhere')
    const hidden = await runCli(['export', EXPERIMENT, '--server', server.url, '--out', join(dir, 'y')], { env: { RUNWAY_TOKEN: outsider } })
    expect(hidden.code).toBe(1)
    expect(hidden.stderr).toContain(`no experiment ${EXPERIMENT}`)
  }, 120_000)
})
