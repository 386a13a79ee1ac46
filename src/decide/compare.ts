import type { GuardrailSpec, MetricSpec } from '../domain/experiment.js'
import { marginTypeOf, typeOf } from '../domain/metric.js'
import type { Spending } from '../stats/alpha-spending.js'
import { compareArms, testEstimate, type MethodConfig } from '../stats/compare.js'
import { guardrail } from '../stats/guardrail.js'
import { lookHasSample } from '../stats/min-sample.js'
import type { Moments } from '../stats/moments.js'
import { defaultTau2 } from '../stats/msprt.js'
import { guardrailTau2 } from '../stats/msprt-tau.js'
import { proportionDegenerate, proportionDifference, proportionTestVariance } from '../stats/newcombe.js'
import { welch } from '../stats/welch.js'
import { type Estimator, estimatorArgs, ratioScaleMoments } from './estimator.js'
import type { Comparison } from './evidence.js'

/** How the experiment's tests are configured at this evaluation. */
export interface TestPlan {
  method: 'msprt' | 'confseq' | 'gst'
  mde: number
  tau?: number
  tuningN: number
  /** For gst: the look to test now and the information fractions so far; null = not at a look. */
  gst: { look: number; informationFractions: number[]; spending: Spending } | null
}

export interface CompareInput {
  metric: MetricSpec | GuardrailSpec
  role: Comparison['role']
  variant: string
  control: Moments
  treatment: Moments
  alpha: number
  plan: TestPlan
  /** A ratio or CUPED metric: its test runs on these arms (the moments above stay the per-unit values). */
  estimator?: Estimator | null
}

const mean = (m: Moments) => (m.n > 0 ? m.sum / m.n : null)
const variance = (m: Moments) => (m.n > 1 ? Math.max(0, (m.sumSquares - (m.sum * m.sum) / m.n) / (m.n - 1)) : null)
const EMPTY: Moments = { n: 0, sum: 0, sumSquares: 0 }
const finite = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? null : x)

/**
 * mSPRT mixing variance: given τ, else from the relative MDE. The scale comes from
 * the pooled arms (≈ the control under the null), so a control arm with no events
 * at all (0% errors) still gives the test a usable prior scale.
 */
export function tau2For(plan: TestPlan, control: Moments, treatment: Moments): number {
  if (plan.tau !== undefined) return plan.tau * plan.tau
  const pooled = { n: control.n + treatment.n, sum: control.sum + treatment.sum, sumSquares: control.sumSquares + treatment.sumSquares }
  return defaultTau2({ mde: plan.mde, controlMean: mean(pooled) ?? 0, variance: variance(pooled) ?? 0 }).tau2 ?? 1e-12
}

/**
 * A guardrail's mixing variance (stats/msprt-tau.ts, Johari et al.): tuned to the declared
 * minimum harmful effect on the metric's own scale, else to the planned sample (N* per arm =
 * tuningN / 2, the same N* the plan uses), so a rare-event guardrail keeps its power. The
 * per-unit variance is the pooled arms' (≈ the control's under the null). An explicit τ wins.
 */
export function guardrailTau2For(plan: TestPlan, g: GuardrailSpec, control: Moments, treatment: Moments, alpha: number): { tau2: number; basis: string } {
  if (plan.tau !== undefined) return { tau2: plan.tau * plan.tau, basis: 'tau' }
  const pooled = { n: control.n + treatment.n, sum: control.sum + treatment.sum, sumSquares: control.sumSquares + treatment.sumSquares }
  const v = variance(pooled) ?? 0
  const mhe = g.minHarmfulEffect
  const t = guardrailTau2({ controlVariance: v, alpha, sided: 'greater', plannedNPerArm: Math.max(1, plan.tuningN / 2), ...(mhe !== undefined ? { minHarmfulEffect: mhe } : {}) })
  if (t.status === 'ok' && t.tau2 !== null) return { tau2: t.tau2, basis: t.basis ?? 'planned-n' }
  return { tau2: tau2For(plan, control, treatment), basis: 'mde' }
}

/** 0/1 unit values (a proportion): declared, or recognisable from Σx = Σx² in both arms. */
const isProportion = (m: MetricSpec, c: Moments, t: Moments) => typeOf(m) === 'proportion' || (typeOf(m) === 'mean' && c.sum === c.sumSquares && t.sum === t.sumSquares && c.n > 0 && t.n > 0)

/**
 * Skewness-gated look (stats/min-sample.ts, Kohavi et al. 2014): only when the evidence carries Σx³,
 * and not for 0/1 values: a proportion is tested on its counts (Newcombe interval, pooled test),
 * and a rare event's Bernoulli skewness (≈10 at 1%) would hold its look for ~35,000 units per arm.
 */
function lookGate(metric: MetricSpec, control: Moments, treatment: Moments): { ready: boolean; minUnits: number | null } {
  if (isProportion(metric, control, treatment)) return { ready: true, minUnits: null }
  const c = control as Moments & { sumCubes?: number }
  const t = treatment as Moments & { sumCubes?: number }
  if (typeof c.sumCubes !== 'number' || typeof t.sumCubes !== 'number') return { ready: true, minUnits: null }
  const r = lookHasSample({ control: { ...control, sumCubes: c.sumCubes }, treatment: { ...treatment, sumCubes: t.sumCubes } })
  return { ready: r.ready, minUnits: r.minUnits }
}

/**
 * One treatment against control on one metric. Welch is reported for reference;
 * decisions use the sequential result. Guardrails get a one-sided harm test against
 * the non-inferiority margin (stats/guardrail.ts) with an always-valid method;
 * other metrics a two-sided test with the experiment's method.
 */
export function compare(input: CompareInput): Comparison {
  const { alpha, plan } = input
  const est = input.estimator ?? null
  // The scale the test is read on: a ratio's own (means, τ, margins, relative lift), else the unit values'.
  const scale = est?.kind === 'ratio' ? ratioScaleMoments(est, alpha) : null
  const control = est?.kind === 'ratio' ? (scale?.control ?? EMPTY) : input.control
  const treatment = est?.kind === 'ratio' ? (scale?.treatment ?? EMPTY) : input.treatment
  const controlMean = mean(control)
  const w = welch({ control, treatment, alpha })
  const tau2 = tau2For(plan, control, treatment)
  const base = {
    metric: input.metric.name,
    role: input.role,
    variant: input.variant,
    controlMean,
    treatmentMean: mean(treatment),
    welchP: w.pValue,
    alpha,
    controlN: est ? est.control.n : control.n,
    treatmentN: est ? est.treatment.n : treatment.n,
    ...(est ? { estimator: est.kind } : {}),
    ...(est?.kind === 'cuped' ? { varianceReduction: finite(est.varianceReduction), cupedTheta: finite(est.theta) } : {}),
  }
  if (input.role === 'guardrail') {
    const g = input.metric as GuardrailSpec
    const method = plan.method === 'confseq' ? 'confseq' : 'msprt'
    // The skew gate reads the unit values' Σx³; a ratio is gated by minUnits only.
    const gate = est?.kind === 'ratio' ? { ready: true, minUnits: null } : lookGate(g, control, treatment)
    if (!gate.ready) return { ...base, method, status: 'LOOK_SAMPLE_PENDING', effect: null, relativeEffect: null, sequentialP: null, ci: null, significant: false, harmful: false, minLookUnits: gate.minUnits }
    const gTau = guardrailTau2For(plan, g, control, treatment, alpha)
    const bad = g.direction === 'decrease' ? 'increase' : 'decrease'
    // The margin is relative to the control mean unless the guardrail says absolute.
    const margin = marginTypeOf(g) === 'absolute' ? g.margin : g.margin * Math.abs(controlMean ?? 0)
    const config = { method, alpha, msprt: { tau2: gTau.tau2 }, confseq: { tuningN: plan.tuningN } } as const
    if (!est && isProportion(g, control, treatment)) {
      const counts = { control: { successes: control.sum, n: control.n }, treatment: { successes: treatment.sum, n: treatment.n } }
      if (proportionDegenerate(counts)) return degenerateGuardrail({ base, counts, bad, margin, alpha, config, tauBasis: gTau.basis })
    }
    const on = est ? estimatorArgs(est) : { control, treatment, metric: 'mean' as const, cuped: false }
    const r = guardrail({ control: on.control, treatment: on.treatment, metric: on.metric, cuped: on.cuped, lift: 'absolute', bad, margin, config })
    const h = r.harm
    return {
      ...base,
      method,
      tauBasis: gTau.basis,
      status: h.status,
      effect: finite(h.effect),
      relativeEffect: h.effect !== null && controlMean ? h.effect / Math.abs(controlMean) : null,
      sequentialP: finite(h.pValue),
      ci: h.ci ? [finite(h.ci[0]), finite(h.ci[1])] : null,
      significant: r.rollback,
      harmful: r.rollback,
    }
  }
  const config: MethodConfig =
    plan.method === 'gst' && plan.gst
      ? { method: 'gst', alpha, sided: 'two', gst: { look: plan.gst.look, informationFractions: plan.gst.informationFractions, spending: plan.gst.spending } }
      : plan.method === 'gst'
        ? { method: 'msprt', alpha, sided: 'two', msprt: { tau2 } } // between looks: reported, never acted on
        : { method: plan.method, alpha, sided: 'two', msprt: { tau2 }, confseq: { tuningN: plan.tuningN } }
  const r = compareArms({ ...(est ? estimatorArgs(est) : { control, treatment, metric: 'mean' as const }), lift: 'absolute', config })
  const atLook = plan.method !== 'gst' || plan.gst !== null
  return {
    ...base,
    method: config.method,
    status: atLook ? r.status : 'BETWEEN_LOOKS',
    effect: finite(r.effect),
    relativeEffect: r.effect !== null && controlMean ? r.effect / Math.abs(controlMean) : null,
    sequentialP: finite(r.pValue),
    ci: r.ci ? [finite(r.ci[0]), finite(r.ci[1])] : null,
    significant: atLook && r.significant,
    harmful: false,
    ...(r.boundary !== undefined ? { boundary: finite(r.boundary) } : {}),
  }
}

/**
 * A proportion guardrail with an arm at 0% or 100%: the harm test's standard error is the pooled
 * one (newcombe.ts proportionTestVariance, never one arm's alone) and the reported interval is
 * Newcombe's hybrid score interval; both arms constant and equal is measured, with no harm.
 */
function degenerateGuardrail({ base, counts, bad, margin, alpha, config, tauBasis }: {
  base: Omit<Comparison, 'method' | 'status' | 'effect' | 'relativeEffect' | 'sequentialP' | 'ci' | 'significant' | 'harmful'>
  counts: { control: { successes: number; n: number }; treatment: { successes: number; n: number } }
  bad: 'increase' | 'decrease'
  margin: number
  alpha: number
  config: { method: 'msprt' | 'confseq'; alpha: number; msprt: { tau2: number }; confseq: { tuningN: number } }
  tauBasis: string
}): Comparison {
  const up = bad === 'increase'
  const nd = proportionDifference({ ...counts, alpha, sided: up ? 'greater' : 'less' })
  const ci: [number | null, number | null] | null = nd.ci ? [Number.isFinite(nd.ci[0]) ? nd.ci[0] : null, Number.isFinite(nd.ci[1]) ? nd.ci[1] : null] : null
  const effect = nd.effect
  const variance = proportionTestVariance(counts)
  const shared = { ...base, method: `${config.method}-pooled`, tauBasis, effect, relativeEffect: effect !== null && base.controlMean ? effect / Math.abs(base.controlMean) : null, ci, degenerate: true }
  if (!(variance > 0) || effect === null) return { ...shared, status: 'ok', sequentialP: 1, significant: false, harmful: false }
  const r = testEstimate({ effect, variance, df: null, nTotal: counts.control.n + counts.treatment.n, normal: true, config: { ...config, sided: up ? 'greater' : 'less', nullValue: up ? margin : -margin } })
  return { ...shared, status: r.status, sequentialP: r.pValue, significant: r.significant, harmful: r.significant }
}
