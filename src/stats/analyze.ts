/**
 * `runway analyze`: summary statistics in, comparisons out. Pure: the CLI reads the file
 * and prints; this validates, runs every treatment-vs-control comparison with the chosen
 * method and adds the SRM check. For proportions the fixed-horizon test is the z-test with
 * the unpooled (Wald) standard error, so the p-value and the interval always agree; the
 * classic pooled-variance statistic is proportionZTest().
 */
import { parseAnalyzeInput, type AnalyzeInput, type FieldError } from './analyze-input.js'
import { armEstimate, cupedTheta, type ArmStats } from './arm-estimate.js'
import { compareArms, type MethodConfig } from './compare.js'
import { tau2FromPlannedSampleSize } from './msprt.js'
import { srmChiSquare } from './srm.js'
import type { StatsStatus } from './status.js'
import { DEFAULT_TUNING_N } from './msprt-tau.js'

export interface AnalyzeComparison {
  variant: string
  effect: number | null
  se: number | null
  ci: [number | null, number | null] | null
  pValue: number | null
  boundary?: number | null
  decision: 'significant' | 'not significant'
  status: StatsStatus
}

export type AnalyzeOutput =
  | { ok: true; comparisons: AnalyzeComparison[]; srm: { pValue: number | null; chiSquare: number | null; status: StatsStatus }; cupedTheta?: number }
  | { ok: false; errors: FieldError[] }

const toArm = (v: AnalyzeInput['variants'][number], type: AnalyzeInput['metric']['type']): ArmStats => ({
  ...v,
  sumSquares: type === 'proportion' ? v.sum : v.sumSquares ?? 0,
})

/** Unbounded one-sided interval ends become null (JSON has no Infinity). */
const jsonBound = (x: number): number | null => (Number.isFinite(x) ? x : null)

export function analyze(raw: unknown): AnalyzeOutput {
  const parsed = parseAnalyzeInput(raw)
  if (!parsed.ok) return parsed
  const input = parsed.input
  const type = input.metric.type
  const arms = input.variants.map((v) => toArm(v, type))
  const control = arms[0]!
  const cuped = input.variants.some((v) => v.covariateSum !== undefined)
  let theta: number | undefined
  if (cuped) {
    const th = cupedTheta({ arms, metric: type })
    if (th.theta !== null) theta = th.theta
  }
  const config: MethodConfig = { method: input.method, alpha: input.alpha, sided: input.sided }
  if (input.method === 'confseq') config.confseq = { tuningN: input.confseq?.tuningN ?? DEFAULT_TUNING_N }
  if (input.method === 'gst') config.gst = input.gst
  const comparisons = input.variants.slice(1).map((v, i): AnalyzeComparison => {
    const treatment = arms[i + 1]!
    const cfg = { ...config }
    if (input.method === 'msprt') cfg.msprt = { tau2: msprtTau2(input, control, treatment) }
    const r = compareArms({ control, treatment, metric: type, lift: input.metric.lift, cuped, config: cfg, thetaArms: arms })
    return {
      variant: v.name,
      effect: r.effect,
      se: r.se,
      ci: r.ci ? [jsonBound(r.ci[0]), jsonBound(r.ci[1])] : null,
      pValue: r.pValue,
      ...(input.method === 'gst' ? { boundary: r.boundary ?? null } : {}),
      decision: r.status === 'ok' && r.significant ? 'significant' : 'not significant',
      status: r.status,
    }
  })
  const srm = srmChiSquare({ counts: arms.map((a) => a.n), weights: input.weights ?? arms.map(() => 1) })
  return {
    ok: true,
    comparisons,
    srm: { pValue: srm.pValue, chiSquare: srm.chiSquare, status: srm.status },
    ...(theta !== undefined ? { cupedTheta: theta } : {}),
  }
}

/**
 * τ² for mSPRT: msprt.tau² when given (on the effect's scale); otherwise tuned to
 * msprt.plannedNPerArm from the control arm's per-unit variance (relative lift: divided by
 * the squared control mean).
 */
function msprtTau2(input: AnalyzeInput, control: ArmStats, treatment: ArmStats): number {
  if (input.msprt?.tau !== undefined) return input.msprt.tau ** 2
  const type = input.metric.type
  const est = armEstimate({ arm: control, metric: type })
  const estT = armEstimate({ arm: treatment, metric: type })
  if (est.variance === null || estT.variance === null || est.rawEstimate === null) return NaN
  let unitC = est.variance * control.n
  let unitT = estT.variance * treatment.n
  if (input.metric.lift === 'relative') {
    const m2 = est.rawEstimate ** 2
    unitC /= m2
    unitT /= m2
  }
  return tau2FromPlannedSampleSize({ controlVariance: unitC, treatmentVariance: unitT, plannedNPerArm: input.msprt!.plannedNPerArm!, alpha: input.alpha }).tau2 ?? NaN
}
