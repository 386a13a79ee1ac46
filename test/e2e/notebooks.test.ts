import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AnalystServer, createToken, startAnalystServer } from '../support/analyst-server.js'
import { ROOT, runCli } from '../support/cli.js'
import { pythonEnv } from '../support/python.js'
import { SEED, seedLive } from './notebooks-seed.js'

/**
 * Every notebook in notebooks/ executed headless (nbclient) against a seeded `runway serve`
 * with RUNWAY_AUTH=required, as an analyst runs it: a viewer token, RUNWAY_URL, the analyst
 * views. A failing cell (each notebook asserts its recomputed numbers against Runway's) fails
 * the test. Committed notebooks carry no outputs. Besides the simulated demo, the server gets live
 * data through its API (notebooks-seed.ts): a pair of overlapping experiments the interference job
 * has run over (interference.ipynb), and an experiment with a CUPED covariate, pre-period history
 * and a `country` attribute (the readout's CUPED and segments).
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
interface Readout {
  experiment: string; metric: string; theta: number; raw_effect: number; adjusted_effect: number; adjusted_se: number
  units_with_covariate: number; segment_attribute: string; segments: Record<string, { effect: number; units: number }>
}
interface Interference {
  a: string; b: string; metric: string; variant_a: string; variant_b: string; run_id: string
  delta: number; se: number; units: number; chi_square: number; status: string
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
    expect(NOTEBOOKS).toEqual(expect.arrayContaining(['experiment-readout.ipynb', 'assignment-audit.ipynb', 'peeking.ipynb', 'planning.ipynb', 'interference.ipynb']))
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
    // The server inherits these: the interference job and the scheduler run often enough for the live seed.
    process.env.RUNWAY_INTERFERENCE_INTERVAL = '5s'
    process.env.RUNWAY_SCHEDULE_INTERVAL = '1s'
    server = await startAnalystServer(dataDir)
    viewer = await createToken(server, 'viewer', '*')
    await seedLive(server)
  }, 800_000)
  afterAll(() => {
    server?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('every notebook runs unattended to the end, its assertions passing', async () => {
    const r = await execute(NOTEBOOKS.map((n) => resolve(ROOT, 'notebooks', n)), { RUNWAY_URL: server.url, RUNWAY_TOKEN: viewer, RUNWAY_CLI: CLI, CUPED_EXPERIMENT: SEED.cuped.id, SEGMENT_ATTRIBUTE: SEED.cuped.attribute })
    for (const run of r.runs) expect(run.ok, `${run.notebook}\n${run.error ?? ''}`).toBe(true)
    expect(r.runs.map((x) => x.notebook.split('/').pop())).toEqual(NOTEBOOKS)
    expect(r.code, r.stderr).toBe(0)
    const result = (name: string) => r.runs.find((x) => x.notebook.endsWith(name))?.result
    await checkPeeking(result('peeking.ipynb') as unknown as Peeking)
    await checkPlanning(result('planning.ipynb') as unknown as Planning)
    await checkInterference(result('interference.ipynb') as unknown as Interference)
    await checkReadout(result('experiment-readout.ipynb') as unknown as Readout)
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

/**
 * The interference notebook's Δ, SE and χ², recomputed from the unit-level views, against
 * GET /v1/interference (the latest run: later runs over the same units give the same numbers),
 * and the seeded interaction found.
 */
async function checkInterference(p: Interference): Promise<void> {
  expect(p, 'interference.ipynb printed no RESULT line').toBeTruthy()
  const res = await fetch(`${server.url}/v1/interference`, { headers: { authorization: `Bearer ${viewer}` } })
  expect(res.status).toBe(200)
  type Row = { kind: string; metric: string; variantA: string; variantB: string; units: number; delta: number | null; se: number | null; chiSquare: number | null; status: string; ci: [number, number] | null }
  const body = (await res.json()) as { pairs: Array<{ a: string; b: string; rows: Row[] }> }
  const pair = body.pairs.find((x) => x.a === p.a && x.b === p.b)!
  expect(pair, JSON.stringify(body.pairs.map((x) => [x.a, x.b]))).toBeTruthy()
  const row = pair.rows.find((r) => r.kind === 'interaction' && r.metric === p.metric && r.variantA === p.variant_a && r.variantB === p.variant_b)!
  expect(row.units).toBe(p.units)
  expect(Math.abs(row.delta! - p.delta)).toBeLessThan(1e-6)
  expect(Math.abs(row.se! - p.se)).toBeLessThan(1e-6)
  const assignment = pair.rows.find((r) => r.kind === 'assignment')!
  expect(Math.abs(assignment.chiSquare! - p.chi_square)).toBeLessThan(1e-6 * Math.max(1, p.chi_square))
  // The seed's interaction (conversion ± 0.1 by same arm: Δ = 0.4) is the one found and flagged.
  expect([p.a, p.b].sort()).toEqual([SEED.interference.a, SEED.interference.b].sort())
  expect(p.metric).toBe('conversion')
  expect(row.status).toBe('flagged')
  expect(row.ci![0]).toBeLessThan(SEED.interference.interaction)
  expect(row.ci![1]).toBeGreaterThan(SEED.interference.interaction)
}

/**
 * The readout's CUPED and segment numbers against this test's own reading of the raw events
 * (default.events, arithmetic here): exposure = the unit's first event in the experiment, x = the
 * mean of its revenue events of any experiment in the 7 days before, θ = the pooled slope.
 */
async function checkReadout(p: Readout): Promise<void> {
  expect(p, 'experiment-readout.ipynb printed no RESULT line').toBeTruthy()
  const { id, metric, attribute } = SEED.cuped
  expect(p.experiment).toBe(id)
  const rows = (await chRows(`SELECT experiment_id, variant, unit_id, metric, toUnixTimestamp64Milli(ts), value, attributes['${attribute}'] FROM default.events WHERE unit_id IN (SELECT unit_id FROM default.events WHERE experiment_id = '${id}')`, viewer)) as Array<[string, string, string, string, number, number, string]>
  const units = new Map<string, { variant: string; exposed: number; segment: string; y: number[]; pre: Array<[number, number]> }>()
  for (const [exp, variant, unit, , ts, , seg] of rows) {
    if (exp !== id) continue
    const u = units.get(unit) ?? { variant, exposed: Infinity, segment: '', y: [], pre: [] }
    if (ts < u.exposed) Object.assign(u, { exposed: ts, segment: seg })
    units.set(unit, u)
  }
  for (const [exp, , unit, m, ts, value] of rows) {
    if (m !== metric) continue
    const u = units.get(unit)!
    if (exp === id) u.y.push(value)
    else u.pre.push([ts, value])
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
  const list = [...units.values()].filter((u) => u.y.length > 0).map((u) => {
    const pre = u.pre.filter(([ts]) => ts < u.exposed && ts >= u.exposed - 7 * 86_400_000).map(([, v]) => v)
    return { variant: u.variant, segment: u.segment, y: mean(u.y), x: pre.length ? mean(pre) : 0, hasPre: pre.length > 0 }
  })
  const [my, mx] = [mean(list.map((u) => u.y)), mean(list.map((u) => u.x))]
  const theta = list.reduce((a, u) => a + (u.y - my) * (u.x - mx), 0) / list.reduce((a, u) => a + (u.x - mx) ** 2, 0)
  const arm = (v: string) => list.filter((u) => u.variant === v)
  const adjusted = (v: string) => mean(arm(v).map((u) => u.y)) - theta * (mean(arm(v).map((u) => u.x)) - mx)
  const close = (a: number, b: number) => expect(Math.abs(a - b), `${a} vs ${b}`).toBeLessThan(1e-9 * Math.max(1, Math.abs(b)))
  expect(p.units_with_covariate).toBe(list.filter((u) => u.hasPre).length)
  close(p.theta, theta)
  close(p.raw_effect, mean(arm('treatment').map((u) => u.y)) - mean(arm('control').map((u) => u.y)))
  close(p.adjusted_effect, adjusted('treatment') - adjusted('control'))
  // Segments: every unit in one, each effect as read here; the seeded effect is largest in `de`.
  expect(p.segment_attribute).toBe(attribute)
  expect(Object.values(p.segments).reduce((a, s) => a + s.units, 0)).toBe(list.length)
  for (const [segment, s] of Object.entries(p.segments)) {
    const inSeg = (v: string) => list.filter((u) => u.segment === segment && u.variant === v).map((u) => u.y)
    close(s.effect, mean(inSeg('treatment')) - mean(inSeg('control')))
  }
  expect(Object.entries(p.segments).sort((a, b) => b[1].effect - a[1].effect)[0]![0]).toBe('de')
}
