import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../support/cli.js'
import { type Embedded, specBody, startEmbedded } from '../support/embedded.js'

/**
 * Error paths of the built CLI: local and server-side refusals print one `path: message`
 * line per problem and exit non-zero, never a stack trace; an unusable data directory is
 * one line that names it, for every command that opens one.
 */
const dir = mkdtempSync(join(tmpdir(), 'runway-cli-errors-'))
const file = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}
const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '')
const STACK = /^\s+at .+[:(]/m

let e: Embedded
beforeAll(async () => {
  e = await startEmbedded()
})
afterAll(async () => {
  await e?.stop()
  e?.cleanup()
  rmSync(dir, { recursive: true, force: true })
})

const typoSpec = () => JSON.stringify({ ...specBody({ id: 'typo-a' }), rolout: { steps: [{ exposure: 5 }] }, variants: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 0 }] })

describe('refusals print one line per problem', () => {
  it('validate names the mistyped key and the nearest known one', async () => {
    const res = await runCli(['validate', file('typo.json', typoSpec())])
    expect(res.code).toBe(1)
    expect(lines(res.stdout)).toEqual(['variants[1].weight: must be > 0', 'rolout: unknown key; did you mean `rollout`?'])
    expect(res.stderr).not.toMatch(STACK)
  })

  it('enqueue: the server refuses the shape; each problem is one line, exit 1', async () => {
    const res = await runCli(['enqueue', file('typo-enqueue.json', typoSpec()), '--server', e.baseUrl])
    expect(res.code).toBe(1)
    expect(lines(res.stderr)).toEqual([
      'enqueue failed (HTTP 400): experiment spec is invalid [INVALID_SPEC]',
      'variants[1].weight: must be > 0',
      'rolout: unknown key; did you mean `rollout`?',
    ])
    expect(res.stderr).not.toMatch(STACK)
  })

  it('pause: a reason with a control character, and an experiment that does not exist', async () => {
    const bad = await runCli(['pause', 'nope', '--reason', 'line one\u001b[2Jline two', '--server', e.baseUrl])
    expect(bad.code).toBe(1)
    expect(lines(bad.stderr)).toEqual(['pause nope failed (HTTP 400): pause needs a reason [INVALID_INPUT]', 'reason: must not contain control characters (one line of text)'])
    const missing = await runCli(['pause', 'nope', '--reason', 'why not', '--server', e.baseUrl])
    expect(missing.code).toBe(1)
    expect(lines(missing.stderr)).toEqual(['pause nope failed (HTTP 404): no experiment nope [NOT_FOUND]'])
  })

  it('token create through a server: a bad grant names each field', async () => {
    const res = await runCli(['token', 'create', '--role', 'root', '--namespace', 'A B', '--name', 'ci', '--server', e.baseUrl])
    expect(res.code).toBe(1)
    expect(lines(res.stderr)).toEqual([
      'token create failed (HTTP 400): invalid token grant [INVALID_INPUT]',
      'role: must be one of viewer, service, alerter, experimenter, approver, admin',
      'namespace: must be a namespace name (a-z, 0-9, "-", "_") or * for all',
    ])
  })

  it('policy check: a mistyped key in the policy file', async () => {
    const policy = file('policy.yaml', 'defaults:\n  metadata:\n    requierd: [owner]\n  maxExposure: { canery: 5 }\n')
    const res = await runCli(['policy', 'check', file('ok.json', JSON.stringify(specBody())), '--policy', policy])
    expect(res.code).toBe(1)
    expect(lines(res.stderr)).toEqual([
      `error (INVALID_POLICY): ${policy}: invalid policy file`,
      'defaults.metadata.requierd: unknown key; did you mean `required`?',
      'defaults.maxExposure.canery: unknown key; did you mean `canary`?',
    ])
  })

  it('simulate: a zero tick is refused before anything runs (it used to loop forever)', async () => {
    const scenario = file('tick0.yaml', `name: t\nduration: 1h\ntick: 0\nexperiments:\n  - spec: ${JSON.stringify(specBody())}\n    traffic: { unitsPerHuor: 10 }\n    metrics: {}\n`)
    const res = await runCli(['simulate', scenario], { timeoutMs: 60_000 })
    expect(res.code).toBe(1)
    expect(lines(res.stderr)).toEqual([
      'tick: must be > 0 (a zero tick never advances the clock)',
      'experiments[0].traffic.unitsPerHour: Invalid input: expected number, received undefined',
      'experiments[0].traffic.unitsPerHuor: unknown key; did you mean `unitsPerHour`?',
      `${scenario}: invalid scenario`,
    ])
  })
})

describe('a data directory that cannot be written is one line naming it', () => {
  // Root ignores permission bits, so the directory is made impossible instead: its parent is a file.
  const blocker = join(dir, 'file-not-dir')
  const dataDir = join(blocker, 'data')
  const expected = `error (DATA_DIR_UNWRITABLE): cannot write the data directory ${dataDir}/warehouse: ENOTDIR (a part of the path is a file, not a directory); set --data-dir or RUNWAY_DATA_DIR to a writable directory`
  beforeAll(() => writeFileSync(blocker, 'not a directory'))

  it.each([
    ['migrate', ['migrate', '--data-dir', dataDir]],
    ['serve', ['serve', '--data-dir', dataDir, '--port', '0']],
    ['token create', ['token', 'create', '--role', 'admin', '--namespace', '*', '--data-dir', dataDir]],
    ['token list', ['token', 'list', '--data-dir', dataDir]],
    ['audit verify', ['audit', 'verify', '--data-dir', dataDir]],
    ['audit replay', ['audit', 'replay', '--data-dir', dataDir]],
    ['simulate', ['simulate', 'scenarios/demo.yaml', '--json', '--data-dir', dataDir]],
  ])('%s', async (_name, args) => {
    const res = await runCli(args, { timeoutMs: 60_000 })
    expect(res.code).toBe(1)
    expect(lines(res.stderr)).toEqual([expected])
  })

  // A read-only file system, as a mounted volume would be; needs mount (root with CAP_SYS_ADMIN, as here and in CI).
  it('on a read-only mount: EROFS', async () => {
    const mnt = join(dir, 'ro-mount')
    mkdirSync(mnt)
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', mnt])
    try {
      const res = await runCli(['migrate', '--data-dir', join(mnt, 'data')])
      expect(res.code).toBe(1)
      expect(lines(res.stderr)).toEqual([
        `error (DATA_DIR_UNWRITABLE): cannot write the data directory ${mnt}/data/warehouse: EROFS (the file system is read-only); set --data-dir or RUNWAY_DATA_DIR to a writable directory`,
      ])
    } finally {
      execFileSync('umount', [mnt])
    }
  })
})
