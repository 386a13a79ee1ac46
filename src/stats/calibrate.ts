/**
 * Seeded simulations of experiments with repeated looks, per method (`runway calibrate`).
 * Simulated at the sufficient-statistics level: each look adds m normal units per arm,
 * drawn as batch Σx ~ N(mμ, mσ²) and within-batch Σ(x − x̄)² ~ σ²χ²_{m−1} (independent for
 * normal data, Cochran's theorem), so cumulative {n, Σx, Σx²} are exactly those of a real
 * sample without generating units. All methods see the same data paths (common random
 * numbers), so differences between methods are not Monte-Carlo noise between runs.
 */
import type { Spending } from './alpha-spending.js'
import { confseqTau2 } from './confseq.js'
import { gstBoundaries } from './gst.js'
import { mixtureResult } from './msprt.js'
import { normalQuantileUpper } from './normal.js'
import { createRng } from './random.js'
import { pValueFor, type Sided } from './sided.js'

export type CalibrationMethod = 'welch-fixed' | 'welch-naive' | 'msprt' | 'confseq' | 'gst'
export const CALIBRATION_METHODS: CalibrationMethod[] = ['welch-fixed', 'welch-naive', 'msprt', 'confseq', 'gst']

export interface CalibrateOptions {
  seed: number
  experiments: number
  looks: number
  methods?: CalibrationMethod[]
  /** true difference in means for the A/B scenario, in units of σ; default: the effect a
   *  fixed-horizon Welch test at the last look detects with 80% power */
  effect?: number
  /** units added per arm at each look */
  unitsPerLook?: number
  alpha?: number
  sided?: Sided
  spending?: Spending
  /** confseq tuning N* (total units); default: planned total 2·looks·unitsPerLook */
  tuningN?: number
  /** mSPRT τ²; default tuned to the planned sample size with σ = 1 */
  tau2?: number
}

export interface CalibrationRow {
  method: CalibrationMethod
  scenario: 'A/A' | 'A/B'
  experiments: number
  looks: number
  effect: number
  /** share of experiments that rejected at some look: false-positive rate (A/A) or power (A/B) */
  rejectionRate: number
  /** Monte-Carlo standard error of rejectionRate */
  monteCarloSe: number
  /** mean look at which the experiment stopped (first rejection, else the last look) */
  meanStoppingLook: number
}

interface Plan {
  methods: CalibrationMethod[]
  looks: number
  m: number
  alpha: number
  sided: Sided
  tau2: number
  tuningN: number
  gst: number[]
}

/** Simulate A/A and (if effect ≠ 0) A/B experiments; returns one row per method × scenario. */
export function calibrate(opts: CalibrateOptions): { rows: CalibrationRow[]; effect: number; tau2: number; tuningN: number } {
  const looks = Math.max(1, Math.floor(opts.looks))
  const m = Math.max(2, Math.floor(opts.unitsPerLook ?? 50))
  const alpha = opts.alpha ?? 0.05
  const sided = opts.sided ?? 'two'
  const nFinal = looks * m
  const zA = normalQuantileUpper(sided === 'two' ? alpha / 2 : alpha)
  const effect = opts.effect ?? (zA + normalQuantileUpper(0.2)) * Math.sqrt(2 / nFinal) * (sided === 'less' ? -1 : 1)
  const la = -2 * Math.log(alpha)
  const plan: Plan = {
    methods: opts.methods ?? CALIBRATION_METHODS,
    looks,
    m,
    alpha,
    sided,
    tau2: opts.tau2 ?? (2 / nFinal) * (la + Math.log1p(la)),
    tuningN: opts.tuningN ?? 2 * nFinal,
    gst: gstBoundaries({
      informationFractions: Array.from({ length: looks }, (_, k) => (k + 1) / looks),
      alpha,
      sided,
      spending: opts.spending ?? 'obf',
    }).boundaries,
  }
  const rows: CalibrationRow[] = []
  const scenarios: ['A/A' | 'A/B', number][] = effect !== 0 ? [['A/A', 0], ['A/B', effect]] : [['A/A', 0]]
  for (const [scenario, delta] of scenarios) {
    // Separate, seed-derived streams per scenario so adding a method never shifts the data.
    const rng = createRng({ seed: opts.seed * 2 + (scenario === 'A/A' ? 0 : 1) })
    const rejections = new Map<CalibrationMethod, number>(plan.methods.map((k) => [k, 0]))
    const stopSum = new Map<CalibrationMethod, number>(plan.methods.map((k) => [k, 0]))
    for (let e = 0; e < opts.experiments; e++) {
      const stop = simulateOne(plan, delta, rng)
      for (const k of plan.methods) {
        const s = stop.get(k)!
        if (s > 0) rejections.set(k, rejections.get(k)! + 1)
        stopSum.set(k, stopSum.get(k)! + (s > 0 ? s : looks))
      }
    }
    for (const k of plan.methods) {
      const p = rejections.get(k)! / opts.experiments
      rows.push({
        method: k, scenario, experiments: opts.experiments, looks, effect: delta,
        rejectionRate: p,
        monteCarloSe: Math.sqrt((p * (1 - p)) / opts.experiments),
        meanStoppingLook: stopSum.get(k)! / opts.experiments,
      })
    }
  }
  return { rows, effect, tau2: plan.tau2, tuningN: plan.tuningN }
}

/** One experiment: returns, per method, the 1-based look of first rejection or 0. */
function simulateOne(plan: Plan, delta: number, rng: ReturnType<typeof createRng>): Map<CalibrationMethod, number> {
  const { m, alpha, sided } = plan
  const stop = new Map<CalibrationMethod, number>(plan.methods.map((k) => [k, 0]))
  let open = plan.methods.length
  const arms = [{ n: 0, s: 0, ss: 0 }, { n: 0, s: 0, ss: 0 }]
  const sqrtM = Math.sqrt(m)
  for (let look = 1; look <= plan.looks; look++) {
    arms.forEach((a, i) => {
      const batchSum = m * (i === 1 ? delta : 0) + sqrtM * rng.normal()
      const within = rng.chiSquare(m - 1)
      a.n += m
      a.s += batchSum
      a.ss += within + (batchSum * batchSum) / m
    })
    if (open === 0) continue
    const [c, t] = arms as [typeof arms[0], typeof arms[0]]
    const vC = (c.ss - (c.s * c.s) / c.n) / (c.n - 1) / c.n
    const vT = (t.ss - (t.s * t.s) / t.n) / (t.n - 1) / t.n
    const variance = vC + vT
    const effect = t.s / t.n - c.s / c.n
    const se = Math.sqrt(variance)
    for (const k of plan.methods) {
      if (stop.get(k)! > 0) continue
      let reject = false
      if (k === 'welch-naive' || (k === 'welch-fixed' && look === plan.looks)) {
        const df = (variance * variance) / ((vT * vT) / (t.n - 1) + (vC * vC) / (c.n - 1))
        reject = pValueFor({ stat: effect / se, sided, reference: { kind: 't', df } }) <= alpha
      } else if (k === 'msprt' || k === 'confseq') {
        const tau2 = k === 'msprt' ? plan.tau2 : confseqTau2({ variance, nTotal: c.n + t.n, tuningN: plan.tuningN, alpha })
        reject = mixtureResult({ effect, variance, tau2, alpha, sided }).significant
      } else if (k === 'gst') {
        const z = effect / se
        const stat = sided === 'two' ? Math.abs(z) : sided === 'greater' ? z : -z
        reject = stat >= plan.gst[look - 1]!
      }
      if (reject) {
        stop.set(k, look)
        open--
      }
    }
  }
  return stop
}
