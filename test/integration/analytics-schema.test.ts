import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SystemClock } from '../../src/adapters/clock/system-clock.js'
import { chdbRawSql, type ChdbRawSql } from '../../src/adapters/warehouse/chdb-raw-sql.js'
import { embeddedWarehouse, type ClickHouseWarehouse } from '../../src/adapters/warehouse/clickhouse-warehouse.js'
import { registerClickHouseRoutes } from '../../src/api/routes/clickhouse-http.js'
import { ANALYTICS_VIEWS } from '../../src/domain/sql-allow-list.js'
import { migrate } from '../../src/services/migrate.js'
import { TokenService } from '../../src/services/tokens.js'

// The analyst schema's contract (docs/analytics.md): columns never shrink or change type, the docs
// match DESCRIBE, and a namespace-limited token sees only its namespaces' rows through every view.
const dir = mkdtempSync(join(tmpdir(), 'runway-analytics-'))
const path = join(dir, 'warehouse')
let warehouse: ClickHouseWarehouse
let rawSql: ChdbRawSql
let app: FastifyInstance
let base = ''
const token = { all: '', alpha: '', none: '' }

const committed = JSON.parse(readFileSync(new URL('./analytics-v1-columns.json', import.meta.url), 'utf8')) as Record<string, Array<[string, string]>>
const T = '2026-03-02 00:00:00.000'
const evidence = (variant: string) =>
  JSON.stringify({
    comparisons: [{ metric: 'conversion', role: 'primary', variant, method: 'msprt', status: 'inconclusive', controlMean: 0.1, treatmentMean: 0.12, effect: 0.2, ciLow: -0.1, ciHigh: 0.5, pValue: 0.3, adjustedPValue: null, controlUnits: 10, treatmentUnits: 11 }],
    srm: { pValue: 0.7, counts: [10, 11], test: 'chi2' },
  })

const interferenceRow = {
  experiment_a: 'exp-a', experiment_b: 'exp-b', namespace_a: 'alpha', namespace_b: 'beta', reason: 'layers', kind: 'interaction', metric: 'conversion',
  variant_a: 'treatment', variant_b: 'treatment', window_from: T, units: 2, se: 0.05, ci_low: 0, ci_high: 0.4, relative: 1, relative_se: 0.5, z: 2,
  p_value: 0.04, adjusted_p: 0.04, chi_square: null, df: null, correlation: null, correlation_low: null, correlation_high: null, correlation_n: 0, fdr: 0.05,
  stats_status: 'ok', status: 'flagged', action: 'flagged',
}

beforeAll(async () => {
  warehouse = embeddedWarehouse(path)
  await migrate(warehouse)
  for (const [id, ns] of [['exp-a', 'alpha'], ['exp-b', 'beta']]) {
    const spec = { id, layer: 'l', owner: 'o', hypothesis: 'h', variants: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }], metrics: { primary: { name: 'conversion', direction: 'increase' }, guardrails: [{ name: 'errors', direction: 'decrease' }] }, statistics: { alpha: 0.05, mde: 0.1 } }
    await warehouse.insert('experiments', [{ id, revision: 1, namespace: ns, layer: 'l', spec: JSON.stringify(spec), enqueued_at: T }])
    await warehouse.insert('events', [
      { event_id: `${id}-1`, ts: T, experiment_id: id, variant: 'control', unit_id: 'u1', service: 's', metric: 'conversion', value: 1, attributes: {}, received_at: T },
      { event_id: `${id}-2`, ts: T, experiment_id: id, variant: 'treatment', unit_id: 'u2', service: 's', metric: 'conversion', value: 0, attributes: {}, received_at: T },
    ])
    await warehouse.insert('verdicts', [{ id: `${id}-v1`, experiment_id: id, seq: 1, decision: 'continue', step: 0, reasons: JSON.stringify([{ code: 'INCONCLUSIVE', message: 'not yet', numbers: {} }]), window_from: T, window_to: T, evaluated_at: T, engine_version: '1', needs_approval: false, evidence: evidence('treatment') }])
    await warehouse.insert('lifecycle', [{ experiment_id: id, seq: 1, at: T, from_state: 'queued', to_state: 'running', step: 0, exposure: 5, actor_type: 'engine', actor_id: 'e', reason: 'start', verdict_id: '', verdict_seq: 0, alloc_start: 0, alloc_size: 100, codes: [], result: '' }])
  }
  // Two runs of the interference job over the pair (a cross-namespace pair: alpha × beta).
  for (const [run, at, delta] of [['run-1', T, 0.1], ['run-2', '2026-03-02 01:00:00.000', 0.2]] as const) {
    await warehouse.insert('interference', [{ ...interferenceRow, run_id: run, evaluated_at: at, window_to: at, delta }])
  }
  const tokens = new TokenService({ warehouse, clock: new SystemClock(), cacheTtlMs: 1000 })
  token.all = (await tokens.create({ name: 'all', role: 'viewer', namespace: '*' }, 'test')).token
  token.alpha = (await tokens.create({ name: 'alpha', role: 'viewer', namespace: 'alpha' }, 'test')).token
  token.none = (await tokens.create({ name: 'gamma', role: 'viewer', namespace: 'gamma' }, 'test')).token
  rawSql = chdbRawSql({ path, maxConcurrent: 2 })
  app = Fastify()
  registerClickHouseRoutes(app, { rawSql, tokens, authRequired: true })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
}, 120_000)

afterAll(async () => {
  await app?.close()
  await rawSql?.close()
  await warehouse?.close()
  rmSync(dir, { recursive: true, force: true })
})

async function sql(text: string, secret: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${base}/clickhouse/`, { method: 'POST', body: text, headers: { authorization: `Bearer ${secret}` } })
  return { status: res.status, text: await res.text() }
}

async function describe_(view: string): Promise<Array<[string, string]>> {
  const r = await sql(`DESCRIBE TABLE analytics.${view} FORMAT JSONCompactEachRow`, token.all)
  expect(r.status, r.text).toBe(200)
  return r.text.trim().split('\n').map((line) => {
    const row = JSON.parse(line) as string[]
    return [row[0] as string, normalType(row[1] as string)]
  })
}

/** DESCRIBE pretty-prints long types over lines; the contract compares them on one line. */
function normalType(type: string): string {
  return type.replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')')
}

/** docs/analytics.md: `### analytics.<view>` then a table of | `column` | `type` | meaning |. */
function documented(): Record<string, Array<[string, string]>> {
  const out: Record<string, Array<[string, string]>> = {}
  let view: string | null = null
  for (const line of readFileSync(new URL('../../docs/analytics.md', import.meta.url), 'utf8').split('\n')) {
    const heading = /^### analytics\.(\w+)$/.exec(line)
    if (heading) out[(view = heading[1] as string)] = []
    const row = /^\| `([^`]+)` \| `([^`]+)` \|/.exec(line)
    if (row && view) out[view]?.push([row[1] as string, row[2] as string])
  }
  return out
}

describe('analytics.v1_* views', () => {
  it('every view on the allow-list exists, and every v1 view in the database is on the allow-list', async () => {
    const r = await sql("SELECT name FROM system.tables WHERE database = 'analytics' ORDER BY name FORMAT TSV", token.all)
    expect(r.status, r.text).toBe(200)
    expect(r.text.trim().split('\n')).toEqual(Object.keys(ANALYTICS_VIEWS).sort())
    expect(Object.keys(committed).sort()).toEqual(Object.keys(ANALYTICS_VIEWS).sort())
  })

  it("keeps every committed column with its type (columns may be added, never dropped or retyped)", async () => {
    for (const [view, columns] of Object.entries(committed)) {
      const actual = new Map(await describe_(view))
      for (const [name, type] of columns) expect(actual.get(name), `${view}.${name}`).toBe(type)
    }
  })

  it('docs/analytics.md documents exactly the columns DESCRIBE reports, with their types', async () => {
    const docs = documented()
    expect(Object.keys(docs).sort()).toEqual(Object.keys(ANALYTICS_VIEWS).sort())
    for (const view of Object.keys(ANALYTICS_VIEWS)) expect(docs[view], view).toEqual(await describe_(view))
  })

  it('reads the evidence into per-variant results and the reasons into codes', async () => {
    const r = await sql("SELECT experiment_id, variant, effect, ci_low, ci_high, p_value, method FROM analytics.v1_results ORDER BY experiment_id FORMAT JSONCompactEachRow", token.all)
    expect(r.text.trim().split('\n').map((l) => JSON.parse(l))).toEqual([['exp-a', 'treatment', 0.2, -0.1, 0.5, 0.3, 'msprt'], ['exp-b', 'treatment', 0.2, -0.1, 0.5, 0.3, 'msprt']])
    const v = await sql("SELECT reason_codes, srm_p_value FROM analytics.v1_verdicts WHERE experiment_id = 'exp-a' FORMAT JSONCompactEachRow", token.all)
    expect(JSON.parse(v.text)).toEqual([['INCONCLUSIVE'], 0.7])
    const e = await sql("SELECT namespace, state, primary_metric, guardrail_metrics, alpha FROM analytics.v1_experiments WHERE experiment_id = 'exp-b' FORMAT JSONCompactEachRow", token.all)
    expect(JSON.parse(e.text)).toEqual(['beta', 'running', 'conversion', ['errors'], 0.05])
  })

  it('v1_interference: each row once per experiment of its pair, the latest run marked', async () => {
    const r = await sql('SELECT experiment_id, other_experiment_id, run_id, latest_run, delta, status FROM analytics.v1_interference ORDER BY experiment_id, run_id FORMAT JSONCompactEachRow', token.all)
    expect(r.status, r.text).toBe(200)
    expect(r.text.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      ['exp-a', 'exp-b', 'run-1', false, 0.1, 'flagged'], ['exp-a', 'exp-b', 'run-2', true, 0.2, 'flagged'],
      ['exp-b', 'exp-a', 'run-1', false, 0.1, 'flagged'], ['exp-b', 'exp-a', 'run-2', true, 0.2, 'flagged'],
    ])
    const pairs = await sql('SELECT count() FROM analytics.v1_interference WHERE experiment_id = experiment_a FORMAT TSV', token.all)
    expect(pairs.text.trim()).toBe('2')
  })

  it("a namespace-limited token reads only its namespaces' rows through every view", async () => {
    for (const view of Object.keys(ANALYTICS_VIEWS)) {
      const q = `SELECT DISTINCT experiment_id FROM analytics.${view} ORDER BY experiment_id FORMAT TSV`
      expect((await sql(q, token.all)).text.trim().split('\n'), view).toEqual(['exp-a', 'exp-b'])
      // A pair (alpha × beta) needs read on both namespaces, as GET /v1/interference.
      expect((await sql(q, token.alpha)).text.trim(), view).toBe(view === 'v1_interference' ? '' : 'exp-a')
      expect((await sql(q, token.none)).text.trim(), view).toBe('')
      // Joined with a base table, or in a subquery, the filters still hold.
      const joined = `SELECT count() FROM analytics.${view} AS v WHERE v.experiment_id IN (SELECT experiment_id FROM analytics.${view}) AND v.experiment_id = 'exp-b' FORMAT TSV`
      expect((await sql(joined, token.alpha)).text.trim(), view).toBe('0')
    }
  })

  it('other databases and unlisted analytics names stay refused', async () => {
    const r = await sql('SELECT 1 FROM analytics.not_a_view', token.all)
    expect(r.status).not.toBe(200)
    expect(r.text).toMatch(/ACCESS_DENIED|not readable/)
  })
})
