import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AnalystServer, createToken, startAnalystServer } from '../support/analyst-server.js'
import { ROOT, runCli } from '../support/cli.js'
import { pythonEnv } from '../support/python.js'

/**
 * Every notebook in notebooks/ executed headless (nbclient) against a seeded `runway serve`
 * with RUNWAY_AUTH=required, as an analyst runs it: a viewer token, RUNWAY_URL, the analyst
 * views. A failing cell (each notebook asserts its recomputed numbers against Runway's) fails
 * the test. Committed notebooks carry no outputs.
 */
const NOTEBOOKS = readdirSync(resolve(ROOT, 'notebooks')).filter((f) => f.endsWith('.ipynb')).sort()
const dir = mkdtempSync(join(tmpdir(), 'runway-notebooks-'))
const dataDir = join(dir, 'data')
let server: AnalystServer
let viewer = ''

interface Run { notebook: string; ok: boolean; cells: number; error: string | null; result: Record<string, unknown> | null }
/** The clickhouse-connect 1.x / pandas 2 venv (scripts/setup-python.sh). */
const pythonEnvCh1 = process.env.RUNWAY_PYENV_CH1 ?? resolve(ROOT, '.cache/pyenv-ch1')
const CLI = `${process.execPath} ${resolve(ROOT, 'bin/runway.js')}`

interface Peeking {
  experiment: string; metric: string; variant: string; last_seq: number; runway_p: number; naive_p: number
  simulation: Record<'fixed' | 'naive' | 'msprt', number>; calibrate_aa: Record<string, number>
  calibrate_args: { seed: number; experiments: number; looks: number; unitsPerLook: number; alpha: number }
}
interface Planning {
  experiment: string; metric: string; baseline: number; sd: number; control_units: number; traffic_per_day: number; power: number
  statsmodels_n_per_arm: number; plan: Record<string, { nPerArm: number; days: number }>
}

/** Rows of a query on the ClickHouse interface, as the test's own reading of the warehouse. */
async function chRows(query: string, token: string): Promise<unknown[][]> {
  const res = await fetch(`${server.chUrl}/`, { method: 'POST', body: `${query} FORMAT JSONCompactEachRow`, headers: { authorization: `Bearer ${token}` } })
  const text = await res.text()
  if (!res.ok) throw new Error(text)
  return text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown[])
}

function execute(notebooks: string[], env: Record<string, string>): Promise<{ code: number | null; runs: Run[]; stderr: string }> {
  return new Promise((done) => {
    const p = spawn(resolve(pythonEnv, 'bin/python'), [resolve(ROOT, 'test/support/py/notebook_run.py'), ...notebooks], { cwd: dir, env: { ...process.env, ...env } })
    let out = ''
    let err = ''
    p.stdout.on('data', (d) => (out += d))
    p.stderr.on('data', (d) => (err += d))
    p.on('close', (code) => done({ code, stderr: err, runs: out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Run) }))
  })
}

describe('committed notebooks', () => {
  it('exist, and carry no outputs or execution counts', () => {
    expect(NOTEBOOKS).toEqual(expect.arrayContaining(['experiment-readout.ipynb', 'assignment-audit.ipynb', 'peeking.ipynb', 'planning.ipynb']))
    for (const name of NOTEBOOKS) {
      const nb = JSON.parse(readFileSync(resolve(ROOT, 'notebooks', name), 'utf8')) as { cells: Array<{ cell_type: string; outputs?: unknown[]; execution_count?: number | null }> }
      for (const cell of nb.cells.filter((c) => c.cell_type === 'code')) {
        expect(cell.outputs, `${name}: clear outputs before committing (jupyter nbconvert --clear-output)`).toEqual([])
        expect(cell.execution_count ?? null, name).toBeNull()
      }
    }
  })
})

describe('notebooks against a seeded runway serve', () => {
  beforeAll(async () => {
    const seeded = await runCli(['simulate', 'scenarios/demo.yaml', '--data-dir', dataDir, '--json'], { cwd: ROOT, timeoutMs: 300_000 })
    expect(seeded.code, seeded.stderr).toBe(0)
    server = await startAnalystServer(dataDir)
    viewer = await createToken(server, 'viewer', '*')
  }, 400_000)
  afterAll(() => {
    server?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('every notebook runs unattended to the end, its assertions passing', async () => {
    const r = await execute(NOTEBOOKS.map((n) => resolve(ROOT, 'notebooks', n)), { RUNWAY_URL: server.url, RUNWAY_TOKEN: viewer, RUNWAY_CLI: CLI })
    for (const run of r.runs) expect(run.ok, `${run.notebook}\n${run.error ?? ''}`).toBe(true)
    expect(r.runs.map((x) => x.notebook.split('/').pop())).toEqual(NOTEBOOKS)
    expect(r.code, r.stderr).toBe(0)
    const result = (name: string) => r.runs.find((x) => x.notebook.endsWith(name))?.result
    await checkPeeking(result('peeking.ipynb') as unknown as Peeking)
    await checkPlanning(result('planning.ipynb') as unknown as Planning)
  }, 600_000)

  it('clickhouse-connect 1.x with pandas 2 reads the analyst views as 0.15 with pandas 1 does, on the ClickHouse port and under /clickhouse', () => {
    const script = [
      'import json, sys, importlib.metadata as m, clickhouse_connect, pandas',
      'a = json.load(sys.stdin)',
      'out = {"client": m.version("clickhouse-connect"), "pandas": pandas.__version__, "frames": []}',
      "for host, port, path in [('127.0.0.1', a['chPort'], ''), ('127.0.0.1', a['port'], '/clickhouse')]:",
      "    c = clickhouse_connect.get_client(host=host, port=port, username='analyst', password=a['token'], proxy_path=path)",
      "    df = c.query_df('SELECT seq, metric, variant, method, effect, ci_low, ci_high, p_value, toInt64(control_units) AS cu FROM analytics.v1_results WHERE experiment_id = {e:String} ORDER BY seq, metric, variant', parameters={'e': a['experiment']})",
      "    out['frames'].append(json.loads(df.to_json(orient='values', double_precision=15)))",
      'print(json.dumps(out))',
    ].join('\n')
    const input = JSON.stringify({ chPort: server.chPort, port: Number(new URL(server.url).port), token: viewer, experiment: 'checkout-redesign' })
    const run = (env: string) => {
      const r = spawnSync(resolve(env, 'bin/python'), ['-c', script], { input, encoding: 'utf8', timeout: 120_000 })
      expect(r.status, r.stderr).toBe(0)
      return JSON.parse(r.stdout) as { client: string; pandas: string; frames: unknown[][][] }
    }
    const current = run(pythonEnvCh1)
    const older = run(pythonEnv)
    expect(current.client.startsWith('1.') && current.pandas.startsWith('2.'), JSON.stringify(current)).toBe(true)
    expect(older.client.startsWith('0.') && older.pandas.startsWith('1.'), JSON.stringify(older)).toBe(true)
    expect(current.frames[0]!.length).toBeGreaterThan(0)
    expect(current.frames[0]).toEqual(current.frames[1])
    expect(current.frames).toEqual(older.frames)
  }, 300_000)

  it('a notebook fails the run when its numbers do not match (here: a token that reads no namespace of the experiment)', async () => {
    const outsider = await createToken(server, 'viewer', 'elsewhere')
    const r = await execute([resolve(ROOT, 'notebooks', 'experiment-readout.ipynb')], { RUNWAY_URL: server.url, RUNWAY_TOKEN: outsider })
    expect(r.code).toBe(1)
    expect(r.runs[0]?.ok).toBe(false)
    expect(r.runs[0]?.error).toContain('not found')
  }, 300_000)
})

/** The peeking notebook's numbers against `runway calibrate` run here and the verdicts from Runway's API. */
async function checkPeeking(p: Peeking): Promise<void> {
  expect(p, 'peeking.ipynb printed no RESULT line').toBeTruthy()
  const a = p.calibrate_args
  const cal = await runCli(['calibrate', '--seed', String(a.seed), '--experiments', String(a.experiments), '--looks', String(a.looks), '--units-per-look', String(a.unitsPerLook), '--alpha', String(a.alpha), '--json'])
  expect(cal.code, cal.stderr).toBe(0)
  const rows = (JSON.parse(cal.stdout) as { rows: Array<{ method: string; scenario: string; rejectionRate: number; monteCarloSe: number }> }).rows.filter((x) => x.scenario === 'A/A')
  expect(p.calibrate_aa).toEqual(Object.fromEntries(rows.map((x) => [x.method, x.rejectionRate])))
  // The notebook's own simulation is independent of Runway's: the same rule, within Monte Carlo error.
  const naive = rows.find((x) => x.method === 'welch-naive')!
  const se = Math.hypot(naive.monteCarloSe, Math.sqrt((p.simulation.naive * (1 - p.simulation.naive)) / a.experiments))
  expect(Math.abs(p.simulation.naive - naive.rejectionRate)).toBeLessThan(4 * se)
  expect(p.simulation.naive).toBeGreaterThan(2.5 * a.alpha)
  expect(p.simulation.msprt).toBeLessThan(a.alpha)
  const res = await fetch(`${server.url}/v1/experiments/${p.experiment}/verdicts`, { headers: { authorization: `Bearer ${viewer}` } })
  expect(res.status).toBe(200)
  const body = (await res.json()) as { verdicts: Array<{ seq: number; evidence: { comparisons: Array<{ metric: string; variant: string; pValue: number | null }> } }> }
  const lastSeq = Math.max(...body.verdicts.filter((v) => v.evidence.comparisons.some((c) => c.metric === p.metric && c.pValue !== null)).map((v) => v.seq))
  expect(p.last_seq).toBe(lastSeq)
  const c = body.verdicts.find((v) => v.seq === lastSeq)!.evidence.comparisons.find((x) => x.metric === p.metric && x.variant === p.variant)!
  expect(p.runway_p).toBe(c.pValue)
  expect(p.naive_p).toBeLessThanOrEqual(p.runway_p)
}

/** The planning notebook's baseline and sd against the per-unit values read here, and its plan against `runway plan` run here. */
async function checkPlanning(p: Planning): Promise<void> {
  expect(p, 'planning.ipynb printed no RESULT line').toBeTruthy()
  const [[spec, control]] = (await chRows(`SELECT spec, variants[1].name FROM analytics.v1_experiments WHERE experiment_id = '${p.experiment}'`, viewer)) as [[string, string]]
  const values = (await chRows(`SELECT value_sum / event_count FROM analytics.v1_unit_metrics WHERE experiment_id = '${p.experiment}' AND metric = '${p.metric}' AND variant = '${control}'`, viewer)).map((row) => Number(row[0]))
  const mean = values.reduce((s, v) => s + v, 0) / values.length
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1))
  expect(p.control_units).toBe(values.length)
  expect(Math.abs(p.baseline - mean) / mean).toBeLessThan(1e-9)
  expect(Math.abs(p.sd - sd) / sd).toBeLessThan(1e-9)
  const file = join(dir, 'plan-spec.json')
  writeFileSync(file, spec)
  const planned = await runCli(['plan', file, '--traffic', `${p.traffic_per_day}/day`, '--baseline', String(p.baseline), '--sd', String(p.sd), '--metric-type', 'mean', '--power', String(p.power), '--json'])
  expect(planned.code, planned.stderr).toBe(0)
  const rows = (JSON.parse(planned.stdout) as { rows: Array<{ method: string; nPerArm: number; days: number }> }).rows
  expect(p.plan).toEqual(Object.fromEntries(rows.map((x) => [x.method, { nPerArm: x.nPerArm, days: x.days }])))
  expect(p.plan.fixed!.nPerArm).toBe(Math.ceil(p.statsmodels_n_per_arm - 1e-9))
}
