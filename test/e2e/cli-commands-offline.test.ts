import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { analyze } from '../../src/stats/analyze.js'
import { calibrate } from '../../src/stats/calibrate.js'
import { runCli } from '../support/cli.js'
import { specBody } from '../support/embedded.js'

/**
 * The commands that need no server, run as the built CLI: analyze, plan, calibrate and
 * simulate FILE. Their numbers are checked against independent references in test/unit/stats;
 * here the question is whether the command passes its flags through and prints what it computed.
 */
const dir = mkdtempSync(join(tmpdir(), 'runway-cli-offline-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const file = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}
const ok = async (args: string[], input?: string) => {
  const res = await runCli(args, input === undefined ? {} : { input })
  expect(res.code, `runway ${args.join(' ')}\n${res.stderr}`).toBe(0)
  return res
}

describe('runway analyze', () => {
  const input = {
    metric: { type: 'mean', lift: 'absolute' }, method: 'welch', alpha: 0.05,
    variants: [{ name: 'control', n: 1000, sum: 5000, sumSquares: 29000 }, { name: 'b', n: 1010, sum: 5300, sumSquares: 31000 }],
  }
  it('prints the comparisons of a file, and of stdin, as JSON', async () => {
    const out = JSON.parse((await ok(['analyze', file('stats.json', JSON.stringify(input))])).stdout)
    const { ok: _ok, ...expected } = analyze(input) as { ok: true }
    expect(out).toEqual(JSON.parse(JSON.stringify(expected)))
    const c = out.comparisons[0]
    expect(c.effect).toBeCloseTo(5300 / 1010 - 5, 12) // the difference of the two means
    expect(c.pValue).toBeGreaterThan(0)
    expect(c.ci[0]).toBeLessThan(c.effect)
    expect(JSON.parse((await ok(['analyze', '-'], JSON.stringify(input))).stdout)).toEqual(out)
  })
  it('names each bad field and exits 1', async () => {
    const res = await runCli(['analyze', '-'], { input: JSON.stringify({ ...input, alpha: 2, variants: [input.variants[0], { name: 'b', n: 5, sum: 1 }] }) })
    expect(res.code).toBe(1)
    expect(res.stderr).toMatch(/^alpha: /m)
    expect(res.stderr).toMatch(/^variants\.1\.sumSquares: /m)
    expect(res.stderr).toContain('-: 2 problem(s) in the input')
  })
})

describe('runway plan', () => {
  const spec = file('plan.json', JSON.stringify(specBody({ id: 'plan-a', statistics: { alpha: 0.05, mde: 0.05 } })))
  it('gives units and days per method; the numbers are the references of plan-reference.test.ts case 0', async () => {
    const json = JSON.parse((await ok(['plan', spec, '--traffic', '20k/day', '--baseline', '0.1', '--json'])).stdout)
    const by = Object.fromEntries(json.rows.map((r: { method: string }) => [r.method, r]))
    // statsmodels NormalIndPower: 56511.796 per arm; MVN GST (OBF, 5 looks): 57908.70; confidence sequence N* = 5000: 134165.29.
    expect(by.fixed).toMatchObject({ nPerArm: 56512, totalN: 113024, days: 113024 / 20000 })
    expect(by.gst).toMatchObject({ nPerArm: 57909, totalN: 115818 })
    expect(by.confseq).toMatchObject({ nPerArm: 134166, totalN: 268332 })
    expect(json.sd).toBeCloseTo(Math.sqrt(0.09), 12)

    const text = (await ok(['plan', spec, '--traffic', '20000', '--baseline', '0.1'])).stdout
    expect(text).toContain('plan-a: detect a 5.0% relative change of 0.1 (σ = 0.3000) at α = 0.05, power 0.8')
    expect(text).toMatch(/METHOD\s+UNITS \/ CONTROL ARM\s+TOTAL UNITS\s+DAYS\s+NOTE/)
    expect(text).toMatch(/fixed\s+56512\s+113024\s+5\.7\s+z-test at the planned horizon/)
    expect(text).toMatch(/msprt \(this spec\)\s+\d+\s+\d+\s+\d+\.\d/)
  })
  it('a higher power needs more units; bad flags are refused with the reason', async () => {
    const json = JSON.parse((await ok(['plan', spec, '--traffic', '20k/day', '--baseline', '0.1', '--power', '0.9', '--json'])).stdout)
    expect(json.rows.find((r: { method: string }) => r.method === 'fixed').nPerArm).toBeGreaterThan(56512)
    const bad = await runCli(['plan', spec, '--traffic', 'lots', '--baseline', '0.1'])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('--traffic must look like 20000/day or 20k/day (got lots)')
    const noSd = await runCli(['plan', spec, '--traffic', '1000', '--baseline', '5', '--metric-type', 'mean'])
    expect(noSd.code).toBe(1)
    expect(noSd.stderr).toContain('--sd is required for a mean metric')
  })
})

describe('runway calibrate', () => {
  const flags = ['--seed', '3', '--experiments', '150', '--looks', '8', '--units-per-look', '20']
  it('passes its flags to the simulation and prints every method × scenario', async () => {
    const json = JSON.parse((await ok(['calibrate', ...flags, '--json'])).stdout)
    expect(json).toEqual(JSON.parse(JSON.stringify(calibrate({ seed: 3, experiments: 150, looks: 8, unitsPerLook: 20, alpha: 0.05 }))))
    expect(json.rows).toHaveLength(10)
    for (const r of json.rows) expect(r).toMatchObject({ experiments: 150, looks: 8 })

    const res = await ok(['calibrate', ...flags, '--methods', 'msprt,gst', '--alpha', '0.1'])
    expect(res.stderr).toContain('simulating 150 experiments × 8 looks per method and scenario')
    const rows = res.stdout.split('\n').filter((l) => /A\/[AB] \(/.test(l))
    expect(rows.map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(['msprt A/A', 'gst A/A', 'msprt A/B', 'gst A/B'])
    const expected = calibrate({ seed: 3, experiments: 150, looks: 8, unitsPerLook: 20, alpha: 0.1, methods: ['msprt', 'gst'] })
    expect(rows[1]).toContain(expected.rows[1]!.rejectionRate.toFixed(4))
  })
  it('refuses an unknown method', async () => {
    const res = await runCli(['calibrate', '--methods', 'msprt,bogus'])
    expect(res.code).toBe(1)
    expect(res.stderr).toContain('unknown method(s) bogus')
  })
})

describe('runway simulate FILE', () => {
  // One canary whose variant raises the error rate from 1% to 5%: the guardrail rolls it back.
  const scenario = `name: cli-test
seed: 3
start: 2026-01-05T00:00:00Z
duration: 6h
tick: 15m
experiments:
  - spec:
      id: sim-canary
      layer: sim
      owner: team-sim
      hypothesis: The new build is as reliable as the old one.
      kind: canary
      variants: [{ name: control, weight: 50 }, { name: next, weight: 50 }]
      rollout:
        steps:
          - { exposure: 20, minDuration: 1h }
          - { exposure: 100, minDuration: 1h }
      metrics:
        primary: { name: conversion, direction: increase }
        guardrails: [{ name: error_rate, direction: decrease }]
      statistics: { alpha: 0.05, mde: 0.2 }
      maxDuration: 6h
      evaluation: { interval: 15m, staleAfter: 45m, minUnits: 50 }
    traffic: { unitsPerHour: 3000, eventsPerUnit: 2 }
    metrics:
      conversion: { type: bernoulli, base: 0.10 }
      error_rate: { type: bernoulli, base: 0.01 }
    effects:
      next: { error_rate: 0.04 }
`
  it('runs the scenario through the real loop and reports each transition', async () => {
    const res = await ok(['simulate', file('scenario.yaml', scenario), '--json'])
    const summary = JSON.parse(res.stdout) as { experiments: Array<{ id: string; finalState: string; transitions: Array<{ from: string | null; to: string; reason: string }> }> }
    expect(summary.experiments.map((e) => e.id)).toEqual(['sim-canary'])
    const e = summary.experiments[0]!
    expect(e.finalState).toBe('rolled_back')
    expect(e.transitions[0]).toMatchObject({ from: 'draft', to: 'queued' })
    expect(e.transitions.at(-1)!.reason).toMatch(/^rollback: error_rate .* → .* in next .*msprt p=/)
  }, 60_000)
  it('an invalid scenario names the field and exits 1', async () => {
    const res = await runCli(['simulate', file('bad.yaml', scenario.replace('tick: 15m', 'tick: often'))])
    expect(res.code).toBe(1)
    expect(res.stderr).toMatch(/^tick: invalid duration "often"/m)
    expect(res.stderr).toContain('invalid scenario')
  })
})
