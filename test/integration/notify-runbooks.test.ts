import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { embeddedEnv, ROOT } from '../support/cli.js'
import { waitFor } from '../support/wait.js'

/**
 * docs/runbooks/*.md: the ```sh block of each runbook is run as written (bash -euo
 * pipefail, `runway` = the built CLI) against a real `runway serve`, and the state it
 * leaves is checked through the API.
 */
const dir = mkdtempSync(join(tmpdir(), 'runway-runbooks-'))
let proc: ChildProcess | null = null
let url = ''
let log = ''

const freePort = () => new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const port = (s.address() as { port: number }).port
    s.close(() => resolve(port))
  })
})

function commandsOf(name: string): string {
  const md = readFileSync(`${ROOT}docs/runbooks/${name}.md`, 'utf8')
  const blocks = [...md.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!)
  expect(blocks.length, `${name}.md has a sh block`).toBeGreaterThan(0)
  return blocks.join('\n')
}

/** Async, so the test's own keep-alive connections are not starved while bash runs. */
async function run(name: string, experiment = ''): Promise<string> {
  const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', commandsOf(name)], { cwd: dir, env: { ...embeddedEnv(), PATH: `${dir}/bin:${process.env.PATH}`, RUNWAY_URL: url, EXPERIMENT: experiment, USER: 'runbook-test' } })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('close', (status) => resolve({ status, stdout, stderr }))
  })
  expect(r.status, `${name}.md failed:\n${r.stdout}\n${r.stderr}\n${log.slice(-2000)}`).toBe(0)
  return r.stdout
}

const state = async (id: string) => {
  const res = await fetch(`${url}/v1/experiments/${id}`).catch((err: Error) => { throw new Error(`${err.message} exit=${String(proc?.exitCode)} signal=${String(proc?.signalCode)}\n${log.slice(-3000)}`) })
  return ((await res.json()) as { experiment: { state: string } }).experiment.state
}

async function running(id: string): Promise<void> {
  const spec = { id, layer: `${id}-l`, owner: 'ops', hypothesis: 'h', variants: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }], metrics: { primary: { name: 'conversion' }, guardrails: [{ name: 'error_rate', direction: 'decrease' }] } }
  expect((await fetch(`${url}/v1/experiments`, { method: 'POST', body: JSON.stringify(spec), headers: { 'content-type': 'application/json' } })).status).toBe(201)
  await waitFor(async () => (await state(id)) === 'running', { what: `${id} running`, timeoutMs: 30_000, detail: () => log })
}

beforeAll(async () => {
  const bin = join(dir, 'bin')
  spawnSync('mkdir', ['-p', bin])
  writeFileSync(join(bin, 'runway'), `#!/usr/bin/env bash\nexec "${process.execPath}" "${ROOT}bin/runway.js" "$@"\n`)
  chmodSync(join(bin, 'runway'), 0o755)
  const port = await freePort()
  proc = spawn(process.execPath, [`${ROOT}bin/runway.js`, 'serve'], { env: { ...embeddedEnv(), RUNWAY_LOG_LEVEL: 'warn', RUNWAY_DATA_DIR: join(dir, 'data'), RUNWAY_PORT: String(port), RUNWAY_SCHEDULE_INTERVAL: '300ms' }, stdio: ['ignore', 'ignore', 'pipe'] })
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (log = (log + d).slice(-20_000)))
  url = `http://127.0.0.1:${port}`
  const child = proc
  await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode})`)
    return fetch(`${url}/healthz`).then((r) => r.ok, () => false)
  }, { what: 'runway serve /healthz', timeoutMs: 60_000, detail: () => log })
}, 90_000)

afterAll(() => {
  proc?.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

describe('operator runbooks run as written', () => {
  it('pause, resume, rollback, escalate', async () => {
    await running('rb-one')
    await run('pause', 'rb-one')
    expect(await state('rb-one')).toBe('paused')
    await run('resume', 'rb-one')
    expect(await state('rb-one')).toBe('running')
    await run('rollback', 'rb-one')
    expect(await state('rb-one')).toBe('rolled_back')
    expect(await run('escalate')).toContain('rb-one')
  }, 120_000)

  it('emergency disable-all pauses every running experiment', async () => {
    await running('rb-two')
    await running('rb-three')
    await run('emergency-disable-all')
    expect([await state('rb-two'), await state('rb-three')]).toEqual(['paused', 'paused'])
  }, 120_000)
})
