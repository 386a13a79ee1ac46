import type { GuardrailSpec, MetricSpec } from '../domain/experiment.js'
import type { Spending } from '../stats/alpha-spending.js'
import { compareArms, type MethodConfig } from '../stats/compare.js'
import { guardrail } from '../stats/guardrail.js'
import type { Moments } from '../stats/moments.js'
import { defaultTau2 } from '../stats/msprt.js'
import { welch } from '../stats/welch.js'
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
}

const mean = (m: Moments) => (m.n > 0 ? m.sum / m.n : null)
const variance = (m: Moments) => (m.n > 1 ? Math.max(0, (m.sumSquares - (m.sum * m.sum) / m.n) / (m.n - 1)) : null)
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
 * One treatment against control on one metric. Welch is reported for reference;
 * decisions use the sequential result. Guardrails get a one-sided harm test against
 * the non-inferiority margin (stats/guardrail.ts) with an always-valid method;
 * other metrics a two-sided test with the experiment's method.
 */
export function compare(input: CompareInput): Comparison {
  const { control, treatment, alpha, plan } = input
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
    controlN: control.n,
    treatmentN: treatment.n,
  }
  if (input.role === 'guardrail') {
    const g = input.metric as GuardrailSpec
    const method = plan.method === 'confseq' ? 'confseq' : 'msprt'
    const r = guardrail({
      control,
      treatment,
      metric: 'mean',
      lift: 'absolute',
      bad: g.direction === 'decrease' ? 'increase' : 'decrease',
      // The spec's margin is relative to the control mean; the test runs on the absolute scale.
      margin: g.margin * Math.abs(controlMean ?? 0),
      config: { method, alpha, msprt: { tau2 }, confseq: { tuningN: plan.tuningN } },
    })
    const h = r.harm
    return {
      ...base,
      method,
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
  const r = compareArms({ control, treatment, metric: 'mean', lift: 'absolute', config })
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
