import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { describe, expect, it, vi } from 'vitest'
import { loadScenario, simulateCommand } from '../../src/cli/commands/simulate.js'
import { loadConfig } from '../../src/config.js'
import { runScenario } from '../../src/sim/harness.js'
import type { Scenario } from '../../src/sim/scenario.js'
import type { SimulationSummary } from '../../src/sim/simulator.js'

/**
 * Issue 11's scenario acceptance through the whole embedded loop on a manual clock: the
 * simulator draws both experiments' units from one shared population, the gate assigns them
 * (HTTP), the interference job runs on the simulated clock (every 15 simulated minutes here, to
 * keep the file short) and policy acts on what it finds. Nothing scripts the outcome: the
 * flags come from the job's statistics over the ingested events.
 */
const file = (name: string) => fileURLToPath(new URL(`../../scenarios/interference/${name}.yaml`, import.meta.url))
const POLICY = file('policy')
const config = () => loadConfig({ RUNWAY_POLICY_FILE: POLICY }, { logLevel: 'silent', interferenceIntervalMs: 15 * 60_000 })
const run = (s: Scenario) => runScenario(s, { config: config(), log: pino({ level: 'silent' }) })

type Row = SimulationSummary['interference'][number]
const rowsOf = (rows: Row[], kind: string, metric: string | null) => rows.filter((r) => r.kind === kind && r.metric === metric)
const interferencePauses = (s: Pick<SimulationSummary, 'experiments'>, id: string) =>
  s.experiments.find((e) => e.id === id)!.transitions.filter((t) => t.codes.includes('INTERFERENCE_FLAGGED'))
const describeRun = (s: Pick<SimulationSummary, 'experiments' | 'interference'>) =>
  JSON.stringify({ experiments: s.experiments.map((e) => ({ id: e.id, state: e.finalState, moves: e.transitions.map((t) => `${t.at.slice(11, 16)} ${t.to} [${t.codes}] ${t.reason.slice(0, 140)}`) })), interference: s.interference })

describe('issue 11 scenarios: interference the simulator causes, found by the job', () => {
  it('an interaction on error rate is flagged and pause-lower-priority pauses the lower one (simulate --json, then two more seeds)', async () => {
    // Seed 1 through the CLI command with --json: what a person sees.
    const out: string[] = []
    const spy = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void out.push(String(line)))
    try {
      await simulateCommand(file('interaction-error-rate'), config(), { json: true })
    } finally {
      spy.mockRestore()
    }
    const json = JSON.parse(out.at(-1)!) as Pick<SimulationSummary, 'experiments' | 'interference'>
    const runs = [json]
    const s = loadScenario(file('interaction-error-rate'))
    for (const seed of [2, 3]) runs.push(await run({ ...s, seed }))
    for (const r of runs) {
      const why = describeRun(r)
      const [err] = rowsOf(r.interference, 'interaction', 'error_rate')
      expect(err, why).toBeDefined()
      expect(err!.experiments, why).toEqual(['checkout-copy', 'checkout-layout'])
      expect(err!.flagged, why).toBe(true)
      expect(err!.action, why).toBe('paused')
      // The true Δ is 0.2 (+0.1 in tt and in cc); the always-valid interval holds it on the right side of 0.
      expect(err!.delta!, why).toBeGreaterThan(0.05)
      expect(err!.ci![0], why).toBeGreaterThan(0)
      expect(err!.adjustedP!, why).toBeLessThanOrEqual(0.05)
      expect(err!.pValue!, why).toBeLessThanOrEqual(err!.adjustedP!)
      // No interaction on conversion, and the assignments are independent.
      expect(rowsOf(r.interference, 'interaction', 'conversion')[0]!.flagged, why).toBe(false)
      expect(rowsOf(r.interference, 'assignment', null)[0]!.flagged, why).toBe(false)
      // The lower priority experiment (checkout-copy, 100) is paused by the policy; the other runs on.
      const copy = r.experiments.find((e) => e.id === 'checkout-copy')!
      expect(copy.finalState, why).toBe('paused')
      expect(interferencePauses(r, 'checkout-copy'), why).toHaveLength(1)
      expect(copy.transitions.at(-1)!.reason, why).toMatch(/^interference with checkout-layout: error_rate treatment×treatment Δ=0\.\d+ \[/)
      expect(r.experiments.find((e) => e.id === 'checkout-layout')!.finalState, why).toBe('running')
    }
  }, 300_000)

  it('the same pair with zero interaction is not flagged, over three seeds and every look (nothing is paused)', async () => {
    const base = loadScenario(file('interaction-error-rate'))
    const s: Scenario = { ...base, interactions: base.interactions.map((x) => ({ ...x, effect: 0 })) }
    for (const seed of [1, 2, 3]) {
      const r = await run({ ...s, seed })
      const why = describeRun(r)
      // The latest run covers both experiments with many shared units, and flags nothing.
      expect(r.interference.length, why).toBe(3)
      expect(rowsOf(r.interference, 'assignment', null)[0]!.units, why).toBeGreaterThan(500)
      expect(r.interference.filter((x) => x.flagged), why).toEqual([])
      // Under pause-lower-priority any flag at any look would have paused one of them.
      for (const e of r.experiments) expect(e.finalState, why).toBe('running')
      expect(interferencePauses(r, 'checkout-copy'), why).toEqual([])
    }
  }, 300_000)

  it('a salting fault (both experiments hashing with one salt) is flagged by assignment independence', async () => {
    const s = loadScenario(file('shared-salt'))
    for (const seed of [1, 2]) {
      const r = await run({ ...s, seed })
      const why = describeRun(r)
      const [assignment] = rowsOf(r.interference, 'assignment', null)
      expect(assignment, why).toBeDefined()
      expect(assignment!.flagged, why).toBe(true)
      // Every shared unit is in the same arm of both: the 2×2 cross-tab is diagonal, χ² = n.
      expect(assignment!.units, why).toBeGreaterThan(100)
      expect(assignment!.chiSquare!, why).toBeCloseTo(assignment!.units, 6)
      expect(assignment!.pValue!, why).toBeLessThan(1e-6)
      // No metric interacts: only the assignment is flagged.
      expect(r.interference.filter((x) => x.kind === 'interaction' && x.flagged), why).toEqual([])
      const snippets = r.experiments.find((e) => e.id === 'search-snippets')!
      expect(r.experiments.find((e) => e.id === 'search-ranking')!.faults.saltedUnits, why).toBe(0)
      expect(snippets.faults.saltedUnits, why).toBeGreaterThan(0)
    }
  }, 300_000)
})
