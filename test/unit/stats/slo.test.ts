import { beforeAll, describe, expect, it } from 'vitest'
import { binomialSample } from '../../../src/stats/binomial-sample.js'
import { burnRateAlerts, type WindowCounts } from '../../../src/stats/burn-rate.js'
import { createRng } from '../../../src/stats/random.js'
import { burnEstimate, clopperPearsonBounds, errorBudgetGate, sloGuardrail } from '../../../src/stats/slo.js'
import { relErr, runPython } from '../../support/python.js'

const SLO = 0.999
const bounds = [
  { bad: 0, total: 1000 }, { bad: 1, total: 1000 }, { bad: 3, total: 1000 }, { bad: 14, total: 1000 }, { bad: 2, total: 60 },
  { bad: 150, total: 100000 }, { bad: 5, total: 5 }, { bad: 0, total: 3 }, { bad: 999, total: 1000 }, { bad: 7, total: 250000 },
].flatMap((w) => [0.05, 0.01].map((alpha) => ({ ...w, alpha })))

describe('burn-rate bounds agree with statsmodels Clopper–Pearson (computed in this run)', () => {
  let ref: { lower: number; upper: number }[] = []
  beforeAll(() => { ref = runPython('slo-reference.py', bounds) })
  it('one-sided lower and upper bounds to 1e-9', () => {
    let worst = 0
    bounds.forEach((b, i) => {
      const [lo, hi] = clopperPearsonBounds(b)
      worst = Math.max(worst, relErr(lo, ref[i]!.lower, 1e-15), relErr(hi, ref[i]!.upper, 1e-15))
    })
    expect(worst).toBeLessThan(1e-9)
  })
})

describe('SLO guardrail rules', () => {
  const w = (bad: number, total: number): WindowCounts => ({ bad, total })
  it('a window below the minimum sample is INSUFFICIENT_SAMPLE and never pages', () => {
    // 1 bad request among 60 in the hour: 16.7× by the point estimate, the workbook rule pages
    const windows = { '5m': w(1, 5), '1h': w(1, 60), '30m': w(1, 30), '6h': w(1, 360) }
    expect(burnRateAlerts({ windows, slo: SLO }).page).toBe(true)
    const g = sloGuardrail({ windows, slo: SLO })
    expect(g.page).toBe(false)
    expect(g.status).toBe('INSUFFICIENT_SAMPLE')
    expect(burnEstimate({ window: w(0, 999), slo: SLO }).status).toBe('INSUFFICIENT_SAMPLE')
    expect(burnEstimate({ window: w(0, 1000), slo: SLO }).status).toBe('ok')
  })
  it('a real incident (20× in every window, enough traffic) pages; the upper bound gates the budget', () => {
    const windows = { '5m': w(100, 5000), '1h': w(1200, 60000), '30m': w(600, 30000), '6h': w(7200, 360000) }
    const g = sloGuardrail({ windows, slo: SLO })
    expect(g.page).toBe(true)
    expect(g.rules.every((r) => r.firing)).toBe(true)
    expect(errorBudgetGate({ window: w(7200, 360000), slo: SLO }).pass).toBe(false)
    expect(errorBudgetGate({ window: w(200, 360000), slo: SLO }).pass).toBe(true) // 0.56×, upper < 1
    expect(errorBudgetGate({ window: w(0, 1000), slo: SLO }).pass).toBe(false) // cannot yet bound the burn below 1×
    expect(errorBudgetGate({ window: w(1, 0), slo: SLO }).status).toBe('INVALID_INPUT')
  })
})

/**
 * Minute-level traffic at a constant true burn; looks every 5 minutes after a 6 h warm-up,
 * 100 looks per run. Returns the share of runs that paged at least once.
 */
function pageRate({ seed, runs, perMinute, burn, guarded }: { seed: number; runs: number; perMinute: number; burn: number; guarded: boolean }) {
  const rng = createRng({ seed })
  const minutes = 360 + 5 * 100
  const bad = new Float64Array(minutes + 1)
  const tot = new Float64Array(minutes + 1)
  const p = burn * (1 - SLO)
  let paged = 0
  for (let r = 0; r < runs; r++) {
    for (let m = 1; m <= minutes; m++) {
      const n = Math.round(perMinute * (0.5 + rng.uniform())) // traffic itself varies, ±50%
      bad[m] = bad[m - 1]! + binomialSample(rng, n, p)
      tot[m] = tot[m - 1]! + n
    }
    const win = (end: number, len: number): WindowCounts => ({ bad: bad[end]! - bad[end - len]!, total: tot[end]! - tot[end - len]! })
    for (let look = 1; look <= 100; look++) {
      const end = 360 + 5 * look
      const windows = { '5m': win(end, 5), '30m': win(end, 30), '1h': win(end, 60), '6h': win(end, 360) }
      const page = guarded ? sloGuardrail({ windows, slo: SLO }).page : burnRateAlerts({ windows, slo: SLO }).page
      if (page) { paged++; break }
    }
  }
  return paged / runs
}

describe('SLO guardrail under continuous monitoring (100 looks, SLO 99.9%)', () => {
  const RUNS = 1000
  const ALPHA = 0.05
  const mcSe = Math.sqrt((ALPHA * (1 - ALPHA)) / RUNS) // 0.0069
  it('true burn 1× (and 0.5×): page rate ≤ α + 2·MC SE at low and high traffic; the unguarded workbook rule pages often at low traffic', () => {
    const rates = {
      lowGuarded: pageRate({ seed: 1, runs: RUNS, perMinute: 1, burn: 1, guarded: true }),
      lowUnguarded: pageRate({ seed: 1, runs: RUNS, perMinute: 1, burn: 1, guarded: false }),
      highGuarded: pageRate({ seed: 2, runs: RUNS, perMinute: 200, burn: 1, guarded: true }),
      halfGuarded: pageRate({ seed: 3, runs: RUNS, perMinute: 20, burn: 0.5, guarded: true }),
    }
    console.log(`SLO guardrail A/A page rate over 100 looks (${RUNS} runs): ${JSON.stringify(rates)}; MC SE ${mcSe.toFixed(4)}`)
    expect(rates.lowGuarded).toBeLessThanOrEqual(ALPHA + 2 * mcSe)
    expect(rates.highGuarded).toBeLessThanOrEqual(ALPHA + 2 * mcSe)
    expect(rates.halfGuarded).toBeLessThanOrEqual(ALPHA + 2 * mcSe)
    expect(rates.lowUnguarded).toBeGreaterThan(ALPHA + 4 * mcSe)
  }, 60_000)
  it('power: a 20× burn at 200 requests/minute pages in ≥ 99% of runs', () => {
    expect(pageRate({ seed: 4, runs: 200, perMinute: 200, burn: 20, guarded: true })).toBeGreaterThanOrEqual(0.99)
  })
})

describe('binomial sampler', () => {
  it('mean and variance within 4 MC SE of n·p and n·p·(1 − p) (small and split n·p)', () => {
    const rng = createRng({ seed: 9 })
    for (const [n, p] of [[50, 0.002], [1000, 0.03], [2000, 0.4], [10, 0.9]] as const) {
      const reps = 5000
      let s = 0, ss = 0
      for (let i = 0; i < reps; i++) { const x = binomialSample(rng, n, p); s += x; ss += x * x }
      const mean = s / reps
      const variance = ss / reps - mean * mean
      const v = n * p * (1 - p)
      expect(Math.abs(mean - n * p)).toBeLessThan(4 * Math.sqrt(v / reps))
      expect(Math.abs(variance - v) / v).toBeLessThan(0.12)
    }
  })
})
