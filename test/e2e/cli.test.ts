import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, embeddedEnv, runCli } from '../support/cli.js'
import { specBody } from '../support/embedded.js'
import { waitFor, waitHealthy } from '../support/wait.js'

const dir = mkdtempSync(join(tmpdir(), 'runway-cli-'))
const file = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

describe('runway validate', () => {
  it('prints every problem with its path and exits non-zero', async () => {
    const spec = file('bad.yaml', 'id: ok-id\nvariants:\n  - {name: a, weight: 50}\n  - {name: b, weight: 0}\nmetrics:\n  primary: {name: conv}\nrollout:\n  steps:\n    - {exposure: 50, minDuration: soon}\n')
    const res = await runCli(['validate', spec])
    expect(res.code).toBe(1)
    expect(res.stdout).toContain('variants[1].weight: must be > 0')
    expect(res.stdout).toContain('rollout.steps[0].minDuration: invalid duration "soon"')
    expect(res.stderr).toContain('2 problem(s)')
  })

  it('lists policy rules a well-formed spec would fail', async () => {
    const res = await runCli(['validate', file('nopolicy.json', JSON.stringify(specBody({ owner: '', metrics: { primary: { name: 'm' } } })))])
    expect(res.code).toBe(1)
    expect(res.stdout).toContain('owner: an owner (team or person) is required [policy: owner-required]')
    expect(res.stdout).toContain('[policy: guardrail-required]')
  })

  it('accepts a good spec, also from stdin', async () => {
    expect((await runCli(['validate', file('good.json', JSON.stringify(specBody()))])).code).toBe(0)
    const res = await runCli(['validate', '-'], { input: JSON.stringify(specBody()) })
    expect(res.code).toBe(0)
    expect(res.stdout).toContain('ok (exp-a')
  })

  it('says clearly when the file is missing', async () => {
    const res = await runCli(['validate', join(dir, 'nope.yaml')])
    expect(res.code).toBe(2)
    expect(res.stderr).toContain('ENOENT')
  })
})

describe('runway migrate, serve, enqueue and status', () => {
  let server: ChildProcess
  let url: string
  const dataDir = join(dir, 'data')

  beforeAll(async () => {
    const first = await runCli(['migrate', '--data-dir', dataDir])
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/migrations: \d+ applied, 0 already applied/)
    const second = await runCli(['migrate', '--data-dir', dataDir])
    expect(second.stdout).toMatch(/migrations: 0 applied, \d+ already applied/)

    const port = await freePort()
    url = `http://127.0.0.1:${port}`
    server = spawn(process.execPath, [`${ROOT}bin/runway.js`, 'serve', '--data-dir', dataDir, '--port', String(port)], {
      env: { ...embeddedEnv(), RUNWAY_LOG_LEVEL: 'warn', RUNWAY_SCHEDULE_INTERVAL: '200ms' },
      stdio: 'ignore',
    })
    await waitHealthy(url, { what: 'runway serve' })
  })
  afterAll(() => {
    server?.kill('SIGTERM')
    rmSync(dir, { recursive: true, force: true })
  })

  it('enqueues, refuses with every failed rule, and shows status', async () => {
    const ok = await runCli(['enqueue', file('a.json', JSON.stringify(specBody({ id: 'cli-a' }))), '--server', url])
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout.trim()).toBe('cli-a: queued')

    const refused = await runCli(['enqueue', file('r.json', JSON.stringify(specBody({ id: 'cli-r', hypothesis: '', trafficShare: 100, variants: [{ name: 'a', weight: 10 }, { name: 'b', weight: 10 }] }))), '--server', url])
    expect(refused.code).toBe(1)
    expect(refused.stdout).toContain('[policy: hypothesis-required]')
    expect(refused.stdout).toContain('[policy: weights-sum-100]')
    expect(refused.stderr).toContain('rejected by policy (2 rule(s) failed)')

    // The scheduler (every 200 ms) starts it; wait for that, then read it as a user would.
    await waitFor(async () => ((await (await fetch(`${url}/v1/experiments/cli-a`)).json()) as { experiment: { state: string } }).experiment.state === 'running', { what: 'cli-a to start' })
    const status = await runCli(['status', '--server', url])
    expect(status.code).toBe(0)
    expect(status.stdout).toMatch(/cli-a\s+default\/layer-a\s+running\s+-\s+1\/2\s+10%/)
    expect(status.stdout).toMatch(/cli-r\s+\S+\s+rejected/)
    const json = JSON.parse((await runCli(['status', '--json', '--server', url])).stdout)
    expect(json.experiments.map((e: { id: string }) => e.id).sort()).toEqual(['cli-a', 'cli-r'])
  })

  it('explains how to start a server when none is reachable', async () => {
    const res = await runCli(['status', '--server', 'http://127.0.0.1:9'])
    expect(res.code).toBe(2)
    expect(res.stderr).toContain('cannot reach a Runway server at http://127.0.0.1:9')
    expect(res.stderr).toContain('runway serve')
  })
})
