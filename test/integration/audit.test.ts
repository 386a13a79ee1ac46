import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chainEntry } from '../../src/domain/ledger-chain.js'
import type { LifecycleEvent } from '../../src/domain/lifecycle.js'
import { toWarehouseTime } from '../../src/domain/telemetry.js'
import { ENGINE_VERSION, type Verdict } from '../../src/domain/verdict.js'
import { compareReplay, verifyLedger } from '../../src/services/audit.js'
import { readLedger } from '../../src/services/ledger.js'
import { type Embedded, getJson, specBody, startEmbedded } from '../support/embedded.js'
import { runRandomScenario } from '../support/random-scenario.js'
import { runMain } from '../support/run-main.js'

let rt: Embedded
beforeAll(async () => {
  rt = await startEmbedded()
})
afterAll(async () => {
  await rt.stop()
  rt.cleanup()
})

const person = { type: 'person' as const, id: 'alice' }
const seqs = new Map<string, number>()

async function verdict(experimentId: string, decision: Verdict['decision']) {
  const r = await rt.runtime.queue.get(experimentId)
  const seq = (seqs.get(experimentId) ?? 0) + 1
  seqs.set(experimentId, seq)
  const v: Verdict = {
    id: randomUUID(), experimentId, seq, decision, step: r.step,
    reasons: [{ code: 'HEALTHY', message: decision, numbers: {} }],
    window: { from: rt.clock.now(), to: rt.clock.now() }, evaluatedAt: rt.clock.now(), engineVersion: ENGINE_VERSION, needsApproval: false,
  }
  expect(await rt.runtime.controller.apply(v)).toMatchObject({ applied: true })
}

/** Seven entries: queued, scheduled, running, ramped, paused (verdict), resumed (person), rolled back (verdict). */
async function fullLife(id: string, layer: string) {
  const q = rt.runtime.queue
  expect((await q.enqueue(specBody({ id, layer, rollout: { steps: [{ exposure: 10, minDuration: 0 }, { exposure: 100, minDuration: 0 }] } }), person)).accepted).toBe(true)
  await q.scheduleTick()
  rt.clock.advanceTo(rt.clock.now() + 60_000)
  await verdict(id, 'ramp')
  await verdict(id, 'pause')
  await q.apply(id, (r) => (r.state === 'paused' ? { request: { to: 'running', actor: person, reason: 'resume after a look', at: rt.clock.now() } } : null))
  await verdict(id, 'rollback')
  expect((await q.get(id)).ledgerSeq).toBe(7)
}

/** The lifecycle row of an entry, as the ledger service writes it (a forger's view). */
const rowOf = (e: LifecycleEvent) => ({
  experiment_id: e.experimentId, seq: e.seq, at: toWarehouseTime(e.at), from_state: e.from ?? '', to_state: e.to,
  step: e.step, exposure: e.exposure, actor_type: e.actor.type, actor_id: e.actor.id, reason: e.reason, verdict_id: e.verdictId ?? '',
  verdict_seq: e.verdictSeq ?? 0, alloc_start: e.allocation?.start ?? null, alloc_size: e.allocation?.size ?? null, prev_hash: e.prevHash, hash: e.hash,
  codes: e.codes ?? [], result: e.result ?? '',
})

const sql = (statement: string) => rt.runtime.warehouse.command(statement)
const sync = 'SETTINGS mutations_sync = 2'

describe('replay equals live state', () => {
  it('after a long random scenario (seeded) through the queue and controller', async () => {
    const stats = await runRandomScenario(rt.runtime, rt.clock, { seed: 20260302, experiments: 20, actions: 900, prefix: 's' })
    const live = await rt.runtime.state.list()
    const entries = await readLedger(rt.runtime.warehouse)
    expect(entries.length).toBeGreaterThan(250) // hundreds of transitions
    // Every kind of move happened: queued, rejected, scheduled, running (start, ramp, resume), paused, ended, archived.
    expect(new Set(entries.map((e) => e.to))).toEqual(new Set(['queued', 'rejected', 'scheduled', 'running', 'paused', 'completed', 'rolled_back', 'cancelled', 'archived']))
    const comparison = await compareReplay(rt.runtime.warehouse, live)
    expect(comparison.differences).toEqual([])
    expect(comparison.experiments).toBe(live.length)
    const verified = await verifyLedger(rt.runtime.warehouse, live)
    expect(verified.problems).toEqual([])
    expect(verified.checked).toBe(entries.length)
    expect(stats.actions).toBe(900)
    // The controller applied every kind of verdict, and ignored repeated and inapplicable ones.
    for (const key of ['ramp:applied', 'pause:applied', 'rollback:applied', 'complete:applied', 'ramp:awaiting_approval', 'continue:no_change', 'pause:not_applicable']) {
      expect(stats.verdicts[key], key).toBeGreaterThan(0)
    }
    expect(Object.keys(stats.verdicts).some((k) => k.endsWith(':older_than_last_applied'))).toBe(true)
  }, 300_000) // a long random scenario runs every periodic job (scheduler, auto-resume, interference) on the way: ~60–90 s here since auto-resume reads a tick in three queries (it read the ledger and two queries per paused experiment per tick: ~370 s)

  it('a resubmitted (refused, fixed) spec continues the same chain', async () => {
    const bad = await rt.runtime.queue.enqueue(specBody({ id: 'r-resub', layer: 'resub', metrics: { primary: { name: 'm' } } }), person)
    expect(bad.accepted).toBe(false)
    expect((await rt.runtime.queue.enqueue(specBody({ id: 'r-resub', layer: 'resub' }), person)).accepted).toBe(true)
    const [first, second] = await readLedger(rt.runtime.warehouse, 'r-resub')
    expect(second!.from).toBe('draft')
    expect(second!.prevHash).not.toBe(first!.hash) // a new genesis, over the new spec and the old head
    expect((await verifyLedger(rt.runtime.warehouse, await rt.runtime.state.list())).ok).toBe(true)
  })
})

describe('tampering with the ledger in SQL', () => {
  const expected = [
    { experimentId: 't-change', seq: 4, kind: 'altered' },
    { experimentId: 't-delete', seq: 3, kind: 'removed' },
    { experimentId: 't-insert', seq: 8, kind: 'inserted' },
    { experimentId: 't-rehash', seq: 5, kind: 'altered' },
    { experimentId: 't-reorder', seq: 4, kind: 'reordered' },
    { experimentId: 't-reorder', seq: 5, kind: 'reordered' },
    { experimentId: 't-spec', seq: 1, kind: 'spec-changed' },
    { experimentId: 't-truncate', seq: 7, kind: 'truncated' },
    { experimentId: 't-wipe', seq: 1, kind: 'truncated' },
  ]
  const victims = [...new Set(expected.map((p) => p.experimentId)), 't-ok']

  beforeAll(async () => {
    for (const [i, id] of victims.entries()) await fullLife(id, `tamper-${i}`)
  })

  it('an untouched ledger verifies, over the API and the CLI', async () => {
    const live = await rt.runtime.state.list()
    expect(await verifyLedger(rt.runtime.warehouse, live)).toMatchObject({ ok: true, problems: [] })
    const api = await getJson(rt.baseUrl, '/v1/audit/verify')
    expect(api.status).toBe(200)
    expect(api.body).toMatchObject({ ok: true, experiments: live.length })
    expect(api.body.heads.find((h: { experimentId: string }) => h.experimentId === 't-ok')).toMatchObject({ seq: 7 })
    const replay = await getJson(rt.baseUrl, '/v1/audit/replay')
    expect(replay.body).toMatchObject({ ok: true, differences: [] })
    const out = await cli(['audit', 'verify', '--server', rt.baseUrl])
    expect(out.code).toBe(0)
    expect(out.stdout).toMatch(/ledger verified: \d+ entries in \d+ experiment chains, no problems/)
  })

  it('names the experiment, seq and kind of each change, deletion, reordering and insertion', async () => {
    const w = rt.runtime.warehouse
    await sql(`ALTER TABLE lifecycle UPDATE reason = 'nothing happened here' WHERE experiment_id = 't-change' AND seq = 4 ${sync}`)
    await sql(`ALTER TABLE lifecycle DELETE WHERE experiment_id = 't-delete' AND seq = 3 ${sync}`)
    // Reorder: the rows of seq 4 and 5 trade places, each keeping its hash columns.
    const moved = await w.select<Record<string, unknown>>(`SELECT * REPLACE (9 - seq AS seq) FROM lifecycle WHERE experiment_id = 't-reorder' AND seq IN (4, 5)`)
    await sql(`ALTER TABLE lifecycle DELETE WHERE experiment_id = 't-reorder' AND seq IN (4, 5) ${sync}`)
    await w.insert('lifecycle', moved)
    await sql(`ALTER TABLE lifecycle DELETE WHERE experiment_id = 't-truncate' AND seq = 7 ${sync}`)
    // A whole chain deleted, from the ledger and its heads copy: the spec and the live state remember it.
    await sql(`ALTER TABLE lifecycle DELETE WHERE experiment_id = 't-wipe' ${sync}`)
    await sql(`ALTER TABLE ledger_heads DELETE WHERE experiment_id = 't-wipe' ${sync}`)
    await sql(`ALTER TABLE experiments UPDATE spec = replace(spec, 'B beats A', 'A beats B') WHERE id = 't-spec' ${sync}`)
    // A forger who knows the algorithm: re-hashes a changed entry, and appends a well-linked one.
    const rehash = (await readLedger(w, 't-rehash'))[4]!
    const forged = chainEntry(rehash.prevHash, { ...rehash, reason: 'paused by the book' })
    await sql(`ALTER TABLE lifecycle UPDATE reason = '${forged.reason}', hash = '${forged.hash}' WHERE experiment_id = 't-rehash' AND seq = 5 ${sync}`)
    const tail = (await readLedger(w, 't-insert')).at(-1)!
    await w.insert('lifecycle', [rowOf(chainEntry(tail.hash, { ...tail, seq: 8, from: 'rolled_back', to: 'archived', reason: 'forged', at: tail.at + 1 }))])

    const result = await verifyLedger(w, await rt.runtime.state.list())
    expect(result.ok).toBe(false)
    expect(result.problems.map(({ experimentId, seq, kind }) => ({ experimentId, seq, kind }))).toEqual(expected)
    for (const p of result.problems) expect(p.message).toContain(`${p.experimentId} seq ${p.seq}`)
    // The replay no longer matches the live state where entries went missing, and says which fields.
    const diff = await compareReplay(w, await rt.runtime.state.list())
    expect(diff.differences).toContainEqual(expect.objectContaining({ experimentId: 't-truncate', field: 'ledgerSeq', live: 7, replayed: 6 }))
    expect(diff.differences.filter((d) => !victims.includes(d.experimentId))).toEqual([])
  })

  it('the CLI exits 1 listing each problem, from the server or from the data directory alone', async () => {
    const viaServer = await cli(['audit', 'verify', '--server', rt.baseUrl])
    expect(viaServer.code).toBe(1)
    for (const p of expected) expect(viaServer.stdout).toMatch(new RegExp(`${p.experimentId}\\s+${p.seq}\\s+${p.kind}`))
    expect(viaServer.stderr).toContain(`ledger verification failed: ${expected.length} problem(s)`)
    await rt.stop() // the data directory is read on its own now
    const offline = await cli(['audit', 'verify', '--data-dir', rt.dataDir, '--json'])
    expect(offline.code).toBe(1)
    const found = JSON.parse(offline.stdout).problems.map(({ experimentId, seq, kind }: { experimentId: string; seq: number; kind: string }) => ({ experimentId, seq, kind }))
    // Without a live state, t-wipe is still caught: its spec has no ledger entries left.
    expect(found).toEqual(expected)
    rt = await startEmbedded({ dataDir: rt.dataDir, now: rt.clock.now() })
  })
})

const cli = (args: string[]) => runMain(args)
