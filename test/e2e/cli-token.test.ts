import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, embeddedEnv, runCli } from '../support/cli.js'
import { specBody } from '../support/embedded.js'

/**
 * `runway token …` as an operator uses it: the first admin token made on the data
 * directory before any server runs, then everything else through a server with
 * RUNWAY_AUTH=required, every CLI call carrying RUNWAY_TOKEN.
 */
const dir = mkdtempSync(join(tmpdir(), 'runway-cli-token-'))
const dataDir = join(dir, 'data')

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

let root = ''
let server: ChildProcess | undefined
let url = ''

beforeAll(async () => {
  const created = await runCli(['token', 'create', '--role', 'admin', '--namespace', '*', '--name', 'root', '--data-dir', dataDir])
  expect(created.code, created.stderr).toBe(0)
  root = created.stdout.trim()
  expect(root).toMatch(/^rw_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/)
  expect(created.stderr).toContain("admin on '*' (all namespaces)")

  const port = await freePort()
  url = `http://127.0.0.1:${port}`
  server = spawn(process.execPath, [`${ROOT}bin/runway.js`, 'serve', '--data-dir', dataDir, '--port', String(port)], {
    env: { ...embeddedEnv(), RUNWAY_AUTH: 'required', RUNWAY_LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  })
  for (let i = 0; i < 100; i++) {
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('runway serve did not become healthy in 10 s')
})
afterAll(async () => {
  // The server's engine writes parts until it exits: remove its directory only after that.
  if (server && server.exitCode === null) {
    const exited = new Promise<void>((resolve) => server!.once('exit', () => resolve()))
    server.kill('SIGTERM')
    await exited
  }
  rmSync(dir, { recursive: true, force: true, maxRetries: 5 })
})

const as = (token: string) => ({ env: { RUNWAY_TOKEN: token } })

describe('runway token', () => {
  it('bootstraps the first admin on the data directory and lists it without its secret', async () => {
    // (the server holds the directory now; the list goes through it)
    const list = await runCli(['token', 'list', '--server', url, '--json'], as(root))
    expect(list.code, list.stderr).toBe(0)
    const tokens = JSON.parse(list.stdout).tokens as Array<Record<string, unknown>>
    expect(tokens).toEqual([expect.objectContaining({ name: 'root', role: 'admin', namespace: '*', revokedAt: null })])
    expect(tokens[0]!.createdBy).toMatch(/\(local\)$/)
    expect(list.stdout).not.toContain(root.slice(20))

    const busy = await runCli(['token', 'create', '--role', 'admin', '--namespace', '*', '--data-dir', dataDir])
    expect(busy.code).toBe(2)
    expect(busy.stderr).toContain('is in use by a running runway: create tokens through it')
  })

  it('refuses CLI calls without a token, and says how to get one', async () => {
    const res = await runCli(['status', '--server', url])
    expect(res.code).toBe(1)
    expect(res.stderr).toContain('HTTP 401')
    expect(res.stderr).toContain('RUNWAY_TOKEN')
  })

  it('creates tokens through the server; the ledger names the token, a non-admin cannot mint, a revoked token stops working', async () => {
    const alice = await runCli(['token', 'create', '--role', 'experimenter', '--namespace', 'default', '--name', 'alice', '--server', url], as(root))
    expect(alice.code, alice.stderr).toBe(0)
    const aliceToken = alice.stdout.trim()

    const spec = join(dir, 'spec.json')
    writeFileSync(spec, JSON.stringify(specBody({ id: 'cli-token-a' })))
    const enqueued = await runCli(['enqueue', spec, '--server', url, '--actor', 'someone-else'], as(aliceToken))
    expect(enqueued.code, enqueued.stderr).toBe(0)
    const detail = (await (await fetch(`${url}/v1/experiments/cli-token-a`, { headers: { authorization: `Bearer ${root}` } })).json()) as { ledger: Array<{ actor: { id: string } }> }
    expect(detail.ledger[0]!.actor.id).toBe('alice')

    const mint = await runCli(['token', 'create', '--role', 'viewer', '--namespace', 'default', '--name', 'x', '--server', url], as(aliceToken))
    expect(mint.code).toBe(1)
    expect(mint.stderr).toContain('HTTP 403')
    expect(mint.stderr).toContain('tokens:admin')

    const id = /^rw_([0-9a-f]{16})_/.exec(aliceToken)![1]!
    const revoked = await runCli(['token', 'revoke', id, '--server', url], as(root))
    expect(revoked.code, revoked.stderr).toBe(0)
    expect(revoked.stdout).toContain(`${id} (alice): revoked`)
    const after = await runCli(['status', '--server', url], as(aliceToken))
    expect(after.code).toBe(1)
    expect(after.stderr).toContain('invalid or revoked API token')
  })

  it('rejects a bad role or namespace with the problem named', async () => {
    const res = await runCli(['token', 'create', '--role', 'owner', '--namespace', 'Bad NS', '--server', url], as(root))
    expect(res.code).toBe(1)
    expect(res.stderr).toContain('role: must be one of viewer, service, alerter, experimenter, approver, admin')
    expect(res.stderr).toContain('namespace: must be a namespace name')
  })
})
