import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { interferenceCommand } from '../../src/cli/commands/interference.js'
import { PolicyConfigSchema } from '../../src/domain/policy-config.js'
import { createRng } from '../../src/stats/random.js'
import { type Embedded, T0, getJson, specBody, startEmbedded } from '../support/embedded.js'
import { sqlQuery } from '../../src/sql-files.js'

/**
 * The interference job over a real embedded warehouse (chDB): two experiments in different
 * layers of one namespace see the same 3,000 units. Error rate gets +0.2 for units in both
 * treatments; conversion has no interaction. The job flags error_rate, not conversion, not
 * the (independent) assignment; under pause-lower-priority the lower priority one is paused
 * with the pair and the numbers on the ledger.
 */
const UNITS = 3000

function spec(id: string, layer: string, priority: number, namespace = 'default') {
  return specBody({
    id, layer, priority, namespace,
    rollout: { steps: [{ exposure: 100, minDuration: '1h' }] },
    metrics: { primary: { name: 'conversion' }, guardrails: [{ name: 'error_rate', direction: 'decrease' }] },
  })
}

/** Events for both experiments; `sameArm` puts every unit in the same arm of both (a salting fault). */
function events(seed: number, interaction: number, sameArm = false, ids: readonly [string, string] = ['int-a', 'int-b']): string {
  const rng = createRng({ seed })
  const lines: string[] = []
  for (let u = 0; u < UNITS; u++) {
    const ta = rng.uniform() < 0.5
    const tb = sameArm ? ta : rng.uniform() < 0.5
    const err = rng.uniform() < 0.1 + (ta && tb ? interaction : 0)
    const conv = rng.uniform() < 0.3
    for (const [exp, t] of [[ids[0], ta], [ids[1], tb]] as const) {
      const variant = t ? 'treatment' : 'control'
      // Ten hours of minutes from the start (the ingest accepts up to 24 h ahead of its clock).
      const ts = T0 + (u % 600) * 60_000
      lines.push(JSON.stringify({ eventId: `${exp}-${u}-e`, ts, experimentId: exp, variant, unitId: `u${u}`, metric: 'error_rate', outcome: err }))
      lines.push(JSON.stringify({ eventId: `${exp}-${u}-c`, ts, experimentId: exp, variant, unitId: `u${u}`, metric: 'conversion', outcome: conv }))
    }
  }
  return lines.join('\n')
}

async function setup(rt: Embedded, body: string, ids: readonly [string, string] = ['int-a', 'int-b'], namespace = 'default') {
  for (const [id, layer, p] of [[ids[0], 'la', 200], [ids[1], 'lb', 100]] as const) {
    const out = await rt.runtime.queue.enqueue(spec(id, layer, p, namespace), { type: 'person', id: 'tester' })
    expect(out).toBeTruthy()
  }
  await rt.runtime.queue.scheduleTick()
  for (const id of ids) expect((await rt.runtime.queue.get(id)).state).toBe('running')
  const res = await rt.runtime.ingest.ingest({ body, format: 'ndjson', source: 'test' })
  expect(res.rejected).toBe(0)
}

describe('interference job (embedded warehouse)', () => {
  let rt: Embedded
  beforeAll(async () => {
    rt = await startEmbedded({ config: { policy: PolicyConfigSchema.parse({ defaults: { interference: { action: 'pause-lower-priority', fdr: 0.05 } } }) } })
    await setup(rt, events(7, 0.2))
  })
  afterAll(async () => {
    await rt.stop()
    rt.cleanup()
  })

  it('flags the interaction on error rate and pauses the lower-priority experiment, with the numbers on the ledger', async () => {
    const run = await rt.runtime.interference.run()
    expect(run.pairs).toBe(1)
    const byKind = (kind: string, metric: string) => run.rows.find((r) => r.kind === kind && r.metric === metric)!
    const assignment = byKind('assignment', '')
    expect(assignment.units).toBe(UNITS)
    expect(assignment.status).toBe('clear')
    const err = byKind('interaction', 'error_rate')
    expect(err.status).toBe('flagged')
    expect(err.delta!).toBeGreaterThan(0.1)
    expect(err.ci_low!).toBeGreaterThan(0)
    expect(err.units).toBe(UNITS)
    expect(byKind('interaction', 'conversion').status).toBe('clear')
    expect(run.paused).toEqual(['int-b'])
    const b = await rt.runtime.queue.get('int-b')
    expect(b.state).toBe('paused')
    expect((await rt.runtime.queue.get('int-a')).state).toBe('running')
    const latest = await rt.runtime.interference.latest('int-b')
    expect(latest.length).toBe(run.rows.length)
    expect(latest.find((r) => r.metric === 'error_rate')!.action).toBe('paused')
    const ledger = await rt.runtime.warehouse.select<{ to_state: string; actor_id: string; reason: string; codes: string[] }>(sqlQuery('lifecycle-of'), { experiment: 'int-b' })
    const pause = ledger.at(-1)!
    expect(pause.to_state).toBe('paused')
    expect(pause.actor_id).toBe('interference')
    expect(pause.codes).toEqual(['INTERFERENCE_FLAGGED'])
    expect(pause.reason).toMatch(/^interference with int-a: error_rate treatment×treatment Δ=0\.\d+ \[.+\] adjusted p=.+ over 3000 units$/)
  })

  it('GET /v1/interference and /v1/experiments/:id/interference give the latest run', async () => {
    const all = await getJson(rt.baseUrl, '/v1/interference')
    expect(all.status).toBe(200)
    expect(all.body.pairs).toHaveLength(1)
    const pair = all.body.pairs[0]
    expect(pair).toMatchObject({ a: 'int-a', b: 'int-b', status: 'flagged' })
    expect(pair.index).toBeGreaterThan(3)
    const err = pair.rows.find((r: { metric: string }) => r.metric === 'error_rate')
    expect(err).toMatchObject({ kind: 'interaction', status: 'flagged', action: 'paused', units: UNITS })
    expect(err.ci[0]).toBeLessThan(err.delta)
    expect(err.adjustedP).toBeLessThanOrEqual(0.05)
    const one = await getJson(rt.baseUrl, '/v1/experiments/int-a/interference')
    expect(one.status).toBe(200)
    expect(one.body.pairs.map((p: { b: string }) => p.b)).toEqual(['int-b'])
    expect((await getJson(rt.baseUrl, '/v1/experiments/nope/interference')).status).toBe(404)
    const metrics = await (await fetch(`${rt.baseUrl}/metrics`)).text()
    expect(metrics).toMatch(/^runway_interference_pairs\{status="flagged"\} 1$/m)
  })

  it('runway interference prints the table, and --json the API answer', async () => {
    const out: string[] = []
    const spy = vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(String(line)))
    try {
      await interferenceCommand(undefined, { server: rt.baseUrl })
      await interferenceCommand('int-b', { server: rt.baseUrl, json: true })
    } finally {
      spy.mockRestore()
    }
    const text = out.slice(0, -1).join('\n')
    expect(text).toMatch(/PAIR\s+METRIC\s+DELTA\s+CI\s+ADJ P\s+UNITS\s+STATUS/)
    expect(text).toMatch(/int-a × int-b\s+error_rate treatment×treatment\s+0\.\d+\s+\[[-\d.e]+, [-\d.e]+\]\s+[\d.e-]+\s+3000\s+flagged \(paused\)/)
    const json = JSON.parse(out.at(-1)!)
    expect(json).toEqual((await getJson(rt.baseUrl, '/v1/experiments/int-b/interference')).body)
    await expect(interferenceCommand('nope', { server: rt.baseUrl })).rejects.toThrow(/HTTP 404/)
  })
})

describe('interference job: no interaction, and a salting fault (embedded warehouse)', () => {
  let rt: Embedded
  const seeds = [11, 12, 13]
  beforeAll(async () => {
    // flag only: nothing is paused, so every pair stays running across the runs.
    rt = await startEmbedded()
    for (const seed of seeds) await setup(rt, events(seed, 0, false, [`z${seed}-a`, `z${seed}-b`]), [`z${seed}-a`, `z${seed}-b`], `ns${seed}`)
    await setup(rt, events(21, 0, true, ['salt-a', 'salt-b']), ['salt-a', 'salt-b'], 'salted')
  })
  afterAll(async () => {
    await rt.stop()
    rt.cleanup()
  })

  it('pairs with zero interaction are not flagged over several seeds and looks; the shared-salt pair fails assignment independence', async () => {
    for (let look = 0; look < 3; look++) {
      const run = await rt.runtime.interference.run()
      // Pairs only within a namespace: three clean pairs and the salted one.
      expect(run.pairs).toBe(4)
      for (const seed of seeds) {
        const rows = run.rows.filter((r) => r.experiment_a === `z${seed}-a`)
        expect(rows.length).toBe(3)
        expect(rows.filter((r) => r.status === 'flagged')).toEqual([])
        expect(rows.every((r) => r.status === 'clear')).toBe(true)
      }
      const salted = run.rows.filter((r) => r.experiment_a === 'salt-a')
      const assignment = salted.find((r) => r.kind === 'assignment')!
      expect(assignment.status).toBe('flagged')
      expect(assignment.chi_square!).toBeGreaterThan(2000)
      expect(run.paused).toEqual([])
    }
    expect((await rt.runtime.queue.get('salt-b')).state).toBe('running')
  })
})
