import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../support/cli.js'
import { specBody } from '../support/embedded.js'
import { type Served, startServe } from '../support/serve.js'
import { waitFor } from '../support/wait.js'

/**
 * The commands people use on experiments, each run as the built CLI against a real
 * `runway serve` (embedded default, own data directory): what they print, and what they leave
 * behind — the state `status` shows and the ledger entry with actor and reason.
 */
const dir = mkdtempSync(join(tmpdir(), 'runway-cli-act-'))
let rw: Served

const file = (name: string, body: unknown) => {
  const path = join(dir, name)
  writeFileSync(path, JSON.stringify(body))
  return path
}
const cli = async (args: string[], expectCode = 0) => {
  const res = await runCli([...args, '--server', rw.url], { env: { USER: 'ci-user' } })
  expect(res.code, `runway ${args.join(' ')}\nstdout: ${res.stdout}\nstderr: ${res.stderr}`).toBe(expectCode)
  return res
}
const experiment = async (id: string) => {
  const res = await fetch(`${rw.url}/v1/experiments/${id}`)
  expect(res.status).toBe(200)
  return (await res.json()) as { experiment: { state: string; step: number; exposure: number; pendingApproval: unknown }; ledger: Array<{ from: string | null; to: string; step: number; actor: { type: string; id: string }; reason: string; verdictId: string | null }> }
}
/** The row `runway status` prints for one experiment, split into its columns. */
const statusRow = async (id: string) => {
  const line = (await cli(['status'])).stdout.split('\n').find((l) => l.startsWith(`${id} `))
  expect(line, `no status line for ${id}`).toBeDefined()
  return line!.trim().split(/\s{2,}|\s(?=\S)/)
}
const waitState = (id: string, state: string) =>
  waitFor(async () => (await experiment(id)).experiment.state === state, { what: `${id} to be ${state}`, timeoutMs: 20_000, detail: () => rw.log() })

// One layer: `act-a` holds all of it, so `act-b` waits in the queue behind it.
const rollout = { steps: [{ exposure: 10, minDuration: 0, approval: true }, { exposure: 100, minDuration: 0 }] }
const evaluation = { interval: '1s', staleAfter: '1h', minUnits: 5 }

beforeAll(async () => {
  rw = await startServe(join(dir, 'data'), { RUNWAY_SCHEDULE_INTERVAL: '200ms' })
  await cli(['enqueue', file('a.json', specBody({ id: 'act-a', layer: 'shared', rollout, evaluation }))])
  await waitState('act-a', 'running')
  await cli(['enqueue', file('b.json', specBody({ id: 'act-b', layer: 'shared', priority: 50 }))])
}, 60_000)

afterAll(async () => {
  await rw?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('runway queue', () => {
  it('shows the waiting experiment, its place and why it waits', async () => {
    const text = (await cli(['queue'])).stdout
    expect(text).toMatch(/LAYER\s+POS\s+EXPERIMENT\s+PRIORITY\s+WAITS BECAUSE/)
    const row = text.split('\n').find((l) => l.includes('act-b'))
    // act-a holds the whole layer; act-b needs all of it.
    expect(row, text).toMatch(/^default\/shared\s+1\s+act-b\s+50\.\d\s+layer default\/shared has 0\.00% free of 100%, needs 100%$/)
    expect(text).toMatch(/layer usage: default\/shared 100\.0%/)
    const json = JSON.parse((await cli(['queue', '--json'])).stdout)
    expect(json.waiting).toEqual([expect.objectContaining({ experimentId: 'act-b', position: 1 })])
  })
})

describe('runway pause | resume | approve | rollback | archive | cancel', () => {
  it('pause: state paused, exposure 0, on the ledger with actor and reason', async () => {
    const res = await cli(['pause', 'act-a', '--reason', 'checking dashboards', '--actor', 'carol'])
    expect(res.stdout.trim()).toBe('act-a: running → paused')
    expect(await statusRow('act-a')).toEqual(['act-a', 'default/shared', 'paused', '-', '1/2', '0%', '100', 'team-a'])
    expect((await experiment('act-a')).ledger.at(-1)).toMatchObject({ from: 'running', to: 'paused', actor: { type: 'person', id: 'carol' }, reason: 'pause: checking dashboards' })
  })

  it('resume: running again at the same step; the actor defaults to $USER', async () => {
    const res = await cli(['resume', 'act-a', '--reason', 'dashboards fine'])
    expect(res.stdout.trim()).toBe('act-a: paused → running (step 1)')
    expect(await statusRow('act-a')).toEqual(['act-a', 'default/shared', 'running', '-', '1/2', '10%', '100', 'team-a'])
    expect((await experiment('act-a')).ledger.at(-1)).toMatchObject({ from: 'paused', to: 'running', step: 0, actor: { type: 'person', id: 'ci-user' }, reason: 'resume: dashboards fine' })
  })

  it('approve: refused while nothing waits; applies the ramp a verdict left for a human', async () => {
    const early = await cli(['approve', 'act-a', '--reason', 'too soon'], 1)
    expect(early.stderr).toContain('approve act-a failed (HTTP 409)')
    expect(early.stderr).toContain('no ramp waiting for approval')

    // Telemetry for the exposed units, so the evaluation (every 1 s) finds the guardrail healthy
    // with enough units per arm and asks for approval to ramp (step 1 has `approval: true`).
    const units = Array.from({ length: 600 }, (_, i) => `unit-${i}`)
    const assigned = (await (await fetch(`${rw.url}/v1/assign`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ experimentId: 'act-a', units }) })).json()) as { assignments: Array<{ exposed: boolean; variant: string | null }> }
    const now = Date.now()
    const events = assigned.assignments.flatMap((a, i) => a.exposed ? [
      { eventId: `e-${i}-err`, ts: now, experimentId: 'act-a', variant: a.variant, unitId: units[i], metric: 'error_rate', outcome: i % 7 === 0 },
      { eventId: `e-${i}-conv`, ts: now, experimentId: 'act-a', variant: a.variant, unitId: units[i], metric: 'conversion', outcome: i % 3 === 0 },
    ] : [])
    expect(events.length).toBeGreaterThan(40)
    const ingest = await fetch(`${rw.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) })
    expect(((await ingest.json()) as { accepted: number }).accepted).toBe(events.length)
    const pending = await waitFor(async () => (await experiment('act-a')).experiment.pendingApproval as { toStep: number; verdictId: string } | null, { what: 'a ramp waiting for approval', timeoutMs: 30_000, detail: () => rw.log() })
    expect(pending.toStep).toBe(1)
    expect((await statusRow('act-a')).slice(2, 6)).toEqual(['running', '-', '1/2', '10%']) // waits for the human

    const res = await cli(['approve', 'act-a', '--reason', 'guardrails look fine', '--actor', 'dana'])
    expect(res.stdout.trim()).toBe('act-a: running → running (step 2)')
    expect(await statusRow('act-a')).toEqual(['act-a', 'default/shared', 'running', '-', '2/2', '100%', '100', 'team-a'])
    // Evaluations go on every second, each newer ramp verdict replacing the one waiting: the
    // ledger names whichever verdict the approval applied.
    expect((await experiment('act-a')).ledger.at(-1)).toMatchObject({ to: 'running', step: 1, actor: { type: 'person', id: 'dana' }, reason: 'approved ramp to step 2: guardrails look fine', verdictId: expect.stringMatching(/^[0-9a-f-]{36}$/) })
    expect((await experiment('act-a')).experiment.pendingApproval).toBeNull()
  }, 60_000)

  it('rollback: final, exposure 0; archive then files it away', async () => {
    expect((await cli(['rollback', 'act-a', '--reason', 'latency regression', '--actor', 'erin'])).stdout.trim()).toBe('act-a: running → rolled_back')
    expect((await statusRow('act-a')).slice(2, 6)).toEqual(['rolled_back', 'stopped', '2/2', '0%'])
    expect((await experiment('act-a')).ledger.at(-1)).toMatchObject({ from: 'running', to: 'rolled_back', actor: { type: 'person', id: 'erin' }, reason: 'rollback: latency regression' })

    expect((await cli(['archive', 'act-a', '--reason', 'post-mortem done'])).stdout.trim()).toBe('act-a: rolled_back → archived')
    expect((await statusRow('act-a'))[2]).toBe('archived')
    expect((await experiment('act-a')).ledger.at(-1)).toMatchObject({ from: 'rolled_back', to: 'archived', reason: 'archive: post-mortem done' })
  })

  it('cancel: the experiment that waited leaves the queue', async () => {
    // act-a has left the layer, so act-b may have started meanwhile: cancel works from either state.
    const before = (await experiment('act-b')).experiment.state
    const res = await cli(['cancel', 'act-b', '--reason', 'superseded', '--actor', 'frank'])
    expect(res.stdout.trim()).toBe(`act-b: ${before} → cancelled`)
    expect((await statusRow('act-b'))[2]).toBe('cancelled')
    expect((await experiment('act-b')).ledger.at(-1)).toMatchObject({ to: 'cancelled', actor: { type: 'person', id: 'frank' }, reason: 'cancel: superseded' })
    expect((await cli(['queue'])).stdout).toContain('nothing waiting')
  })

  it('a missing --reason is refused before anything is sent', async () => {
    const res = await runCli(['pause', 'act-b', '--server', rw.url])
    expect(res.code).not.toBe(0)
    expect(res.stderr).toContain("required option '--reason <text>' not specified")
  })
})

describe('runway audit replay', () => {
  it('rebuilds every experiment from the ledger and finds it equal to the live state', async () => {
    const text = (await cli(['audit', 'replay'])).stdout
    expect(text).toMatch(/EXPERIMENT\s+STATE\s+STEP\s+LEDGER SEQ\s+HEAD/)
    expect(text).toMatch(/act-a\s+archived\s+2\s+\d+\s+[0-9a-f]{16}/)
    expect(text).toMatch(/act-b\s+cancelled\s+1\s+\d+\s+[0-9a-f]{16}/)
    expect(text).toContain('replay equals the live state for all 2 experiments')
    const json = JSON.parse((await cli(['audit', 'replay', '--json'])).stdout) as { ok: boolean; differences: unknown[]; experiments: Array<{ id: string; state: string; ledgerSeq: number; ledgerHash: string }> }
    expect(json.ok).toBe(true)
    expect(json.differences).toEqual([])
    // The replayed head is the live ledger's last entry.
    for (const e of json.experiments) {
      const ledger = (await experiment(e.id)).ledger as unknown as Array<{ seq: number; hash: string }>
      expect({ seq: e.ledgerSeq, hash: e.ledgerHash }).toEqual({ seq: ledger.at(-1)!.seq, hash: ledger.at(-1)!.hash })
    }
    expect((await cli(['audit', 'verify'])).stdout).toMatch(/ledger verified: \d+ entries in 2 experiment chains, no problems/)
  })
})
