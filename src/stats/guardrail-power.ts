/**
 * Seeded simulation of rare-event guardrails (`runway calibrate --guardrails`): error rates of
 * 0.1–2% per unit, the treatment multiplying the rate by 1 (A/A), 1.5, 2 or 3, looked at
 * `looks` times up to `nPerArm` units per arm. Each look runs the engine's guardrail test — a
 * one-sided always-valid harm test (mixture SPRT, half-normal mixture) on the difference in
 * rates — with τ chosen by one of three rules, on the same data (common random numbers):
 *   default-5%-mean     τ = 5% of the pooled mean (the engine's default: mde 0.05)
 *   planned-n           τ tuned to nPerArm (msprt-tau.ts, guardrailTau2 with plannedNPerArm)
 *   min-harmful-effect  τ from a declared minimum harmful effect of ×2 (guardrailTau2, uncapped)
 * Variances come from the pooled rate at each look; the test variance is the pooled one when an
 * arm has no events yet (newcombe.ts, proportionTestVariance), so one arm's zero never decides.
 */
import { binomialSample } from './binomial-sample.js'
import { defaultTau2, mixtureResult } from './msprt.js'
import { guardrailTau2 } from './msprt-tau.js'
import { proportionTestVariance } from './newcombe.js'
import { createRng } from './random.js'

export type TauRule = 'default-5%-mean' | 'planned-n' | 'min-harmful-effect'
export const TAU_RULES: TauRule[] = ['default-5%-mean', 'planned-n', 'min-harmful-effect']
export const GUARDRAIL_BASE_RATES = [0.001, 0.002, 0.005, 0.01, 0.02]
export const GUARDRAIL_MULTIPLIERS = [1, 1.5, 2, 3]

export interface GuardrailPowerOptions {
  seed: number
  experiments: number
  baseRates?: number[]
  /** treatment rate = base × multiplier; 1 is the A/A scenario */
  multipliers?: number[]
  nPerArm?: number
  looks?: number
  alpha?: number
  rules?: TauRule[]
}

export interface GuardrailPowerRow {
  baseRate: number
  multiplier: number
  rule: TauRule
  /** share of experiments whose harm test rejected by the last look: false positives when multiplier = 1 */
  rejectionRate: number
  monteCarloSe: number
  experiments: number
}

function tau2Of(rule: TauRule, pooled: number, nPerArm: number, alpha: number): number | null {
  const v = pooled * (1 - pooled)
  if (rule === 'default-5%-mean') return defaultTau2({ mde: 0.05, controlMean: pooled, variance: v }).tau2
  const opts = rule === 'planned-n' ? { plannedNPerArm: nPerArm } : { minHarmfulEffect: pooled }
  return guardrailTau2({ controlVariance: v, alpha, sided: 'greater', ...opts }).tau2
}

export function guardrailPower(opts: GuardrailPowerOptions): { rows: GuardrailPowerRow[]; nPerArm: number; looks: number; alpha: number } {
  const baseRates = opts.baseRates ?? GUARDRAIL_BASE_RATES
  const multipliers = opts.multipliers ?? GUARDRAIL_MULTIPLIERS
  const rules = opts.rules ?? TAU_RULES
  const nPerArm = opts.nPerArm ?? 5000
  const looks = Math.max(1, Math.floor(opts.looks ?? 100))
  const alpha = opts.alpha ?? 0.05
  const rows: GuardrailPowerRow[] = []
  baseRates.forEach((base, bi) => {
    multipliers.forEach((mult, mi) => {
      const rng = createRng({ seed: opts.seed * 1000 + bi * 10 + mi })
      const hits = new Map<TauRule, number>(rules.map((r) => [r, 0]))
      for (let e = 0; e < opts.experiments; e++) {
        const c = { n: 0, successes: 0 }
        const t = { n: 0, successes: 0 }
        const done = new Set<TauRule>()
        for (let look = 1; look <= looks && done.size < rules.length; look++) {
          const target = Math.round((nPerArm * look) / looks)
          const m = target - c.n
          c.successes += binomialSample(rng, m, base)
          t.successes += binomialSample(rng, m, base * mult)
          c.n = t.n = target
          if (c.successes + t.successes === 0) continue
          const variance = proportionTestVariance({ control: c, treatment: t })
          const effect = t.successes / t.n - c.successes / c.n
          const pooled = (c.successes + t.successes) / (c.n + t.n)
          for (const rule of rules) {
            if (done.has(rule)) continue
            const tau2 = tau2Of(rule, pooled, nPerArm, alpha)
            if (tau2 === null || !(tau2 > 0)) continue
            if (mixtureResult({ effect, variance, tau2, alpha, sided: 'greater' }).significant) {
              done.add(rule)
              hits.set(rule, hits.get(rule)! + 1)
            }
          }
        }
      }
      for (const rule of rules) {
        const p = hits.get(rule)! / opts.experiments
        rows.push({ baseRate: base, multiplier: mult, rule, rejectionRate: p, monteCarloSe: Math.sqrt((p * (1 - p)) / opts.experiments), experiments: opts.experiments })
      }
    })
  })
  return { rows, nPerArm, looks, alpha }
}
