import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
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

interface Run { notebook: string; ok: boolean; cells: number; error: string | null }

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
    expect(NOTEBOOKS).toEqual(expect.arrayContaining(['experiment-readout.ipynb', 'assignment-audit.ipynb']))
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
    const r = await execute(NOTEBOOKS.map((n) => resolve(ROOT, 'notebooks', n)), { RUNWAY_URL: server.url, RUNWAY_TOKEN: viewer })
    for (const run of r.runs) expect(run.ok, `${run.notebook}\n${run.error ?? ''}`).toBe(true)
    expect(r.runs.map((x) => x.notebook.split('/').pop())).toEqual(NOTEBOOKS)
    expect(r.code, r.stderr).toBe(0)
  }, 600_000)

  it('a notebook fails the run when its numbers do not match (here: a token that reads no namespace of the experiment)', async () => {
    const outsider = await createToken(server, 'viewer', 'elsewhere')
    const r = await execute([resolve(ROOT, 'notebooks', 'experiment-readout.ipynb')], { RUNWAY_URL: server.url, RUNWAY_TOKEN: outsider })
    expect(r.code).toBe(1)
    expect(r.runs[0]?.ok).toBe(false)
    expect(r.runs[0]?.error).toContain('not found')
  }, 300_000)
})
