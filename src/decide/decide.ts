import { controlOf, metricsOf } from '../domain/experiment.js'
import { formatDuration } from '../domain/duration.js'
import { type GuardrailSpec, typeOf } from '../domain/metric.js'
import type { Decision, ExperimentResult, Reason } from '../domain/verdict.js'
import { DEFAULT_TUNING_N } from '../stats/msprt-tau.js'
import { benjaminiHochberg, holm } from '../stats/multiple-testing.js'
import { srmChiSquare } from '../stats/srm.js'
import { sequentialSrm } from '../stats/srm-sequential.js'
import { compare, type TestPlan } from './compare.js'
import { estimatorOf } from './estimator.js'
import { type Comparison, EMPTY_MOMENTS, type EvaluationInput } from './evidence.js'
import { misroutingReason } from './misrouting.js'
import { rampBudgetReasons } from './ramp-budget.js'
import { completionResult } from './result.js'
import { sloReasons } from './slo-guard.js'
import { tailCompare } from './tail.js'

export interface DecisionOutcome {
  decision: Decision
  reasons: Reason[]
  needsApproval: boolean
  comparisons: Comparison[]
  srm: { pValue: number | null; status: string; counts: number[]; test: string }
  /** Newest event time across variants, null when none arrived. */
  lastEventMs: number | null
  /** A group-sequential look was spent at this information fraction (record it). */
  gstFraction: number | null
  /** For complete: what the experiment found (shipped, no-effect-detected, regressed). */
  result: ExperimentResult | null
}

const fmt = (x: number | null | undefined, digits = 4) => (x === null || x === undefined ? 'n/a' : Number(x.toPrecision(digits)).toString())
/** The variance reduction a CUPED comparison was decided with, for its reason. */
const cupedNote = (c: Comparison) => (c.estimator === 'cuped' && c.varianceReduction !== null && c.varianceReduction !== undefined ? `, CUPED variance reduction ${fmt(c.varianceReduction * 100, 3)}%` : '')

/**
 * Where a group-sequential experiment stands: the look due now, if any. Looks are
 * spent only where a crossing can be acted on (the last rollout step, its minimum
 * duration met), once each, at strictly growing information: the next look is due
 * at the later of its planned fraction k/K and the last spent fraction + 1/K.
 * Past the plan the fractions are rescaled by the statistics engine (overrun).
 */
function gstPlan(input: EvaluationInput, totalUnits: number, canAct: boolean): TestPlan['gst'] {
  const s = input.record.spec.statistics
  if (s.test !== 'gst' || s.plannedUnits === undefined || !canAct) return null
  const done = input.record.gstFractions
  const look = done.length + 1
  const t = totalUnits / s.plannedUnits
  const last = done.at(-1) ?? 0
  const due = Math.max(look / s.gst.looks, last + 1 / s.gst.looks)
  if (look > s.gst.looks || t < due || !(t > last)) return null
  return { look, informationFractions: [...done, t], spending: s.gst.spending }
}

/**
 * Holm across one family of comparisons; sets adjustedP and `significant` at α.
 * Members that cannot be acted on yet (too few units, no result) count as p = 1,
 * so the family — and with it the correction — does not grow over time.
 */
function holmFamily(family: Comparison[], alpha: number, act: (c: Comparison) => boolean): void {
  const { adjusted } = holm({ pValues: family.map((c) => (act(c) ? c.sequentialP ?? 1 : 1)) })
  family.forEach((c, i) => {
    c.adjustedP = act(c) ? adjusted[i] ?? null : null
    c.significant = c.adjustedP !== null && c.adjustedP <= alpha
    if (c.role === 'guardrail') c.harmful = c.significant
  })
}

/**
 * Evidence + policy + clock → decision, in this order of precedence:
 * 1. guardrail harm declared by the always-valid one-sided harm test → rollback (pause without auto-rollback);
 * 2. sample ratio mismatch (p < srmAlpha) → pause;
 * 3. stale or missing telemetry → pause;
 * 4. maximum duration reached → complete;
 * 5. last step: primary metric conclusive after the step's minimum duration → complete;
 * 6. earlier step: minimum duration met, every guardrail measured without harm and every SLO's
 *    burn-rate upper bound within the error-budget gate (ramp-budget.ts) → ramp;
 * 7. otherwise continue.
 * Multiplicity: Holm across guardrails × treatments (one false rollback is costly, and Holm on
 * always-valid p-values keeps the family-wise rate at α over all looks), Holm across treatments
 * for the primary metric, Benjamini–Hochberg across secondary metrics (reported, never acted on).
 * Group-sequential primaries are tested only at planned looks, at α / treatments.
 */
export function decide(input: EvaluationInput): DecisionOutcome {
  const { record, now } = input
  const spec = record.spec
  const s = spec.statistics
  const control = controlOf(spec)
  const treatments = spec.variants.slice(1).map((v) => v.name)
  const minUnits = spec.evaluation.minUnits
  const counts = spec.variants.map((v) => input.units.find((u) => u.variant === v.name)?.units ?? 0)
  const lastStep = record.step === spec.rollout.steps.length - 1
  const stepMet = now - (record.stepStartedAt ?? now) >= spec.rollout.steps[record.step]!.minDuration
  const gst = gstPlan(input, counts.reduce((a, b) => a + b, 0), lastStep && stepMet)
  const plan: TestPlan = {
    method: s.test,
    mde: s.mde,
    ...(s.tau !== undefined ? { tau: s.tau } : {}),
    // N* counts the two arms compared; plannedUnits counts all arms.
    // The plan (stats/plan.ts) and the engine share one default N* (stats/msprt-tau.ts).
    tuningN: s.tuningN ?? (s.plannedUnits !== undefined ? Math.max(2, Math.round((s.plannedUnits * 2) / spec.variants.length)) : DEFAULT_TUNING_N),
    gst,
  }

  const comparisons: Comparison[] = []
  for (const { role, metric } of metricsOf(spec)) {
    const evidence = input.metrics.find((m) => m.metric === metric.name)
    const moments = evidence?.byVariant ?? {}
    for (const variant of treatments) {
      const alpha = role === 'primary' && s.test === 'gst' ? s.alpha / treatments.length : s.alpha
      if (role === 'guardrail' && typeOf(metric) === 'quantile') {
        const q = evidence?.quantile
        comparisons.push(tailCompare({ metric: metric as GuardrailSpec, variant, level: q?.level ?? metric.quantile ?? 0.5, control: q?.byVariant[control], treatment: q?.byVariant[variant], alpha, plan }))
        continue
      }
      comparisons.push(compare({ metric, role, variant, control: moments[control] ?? EMPTY_MOMENTS, treatment: moments[variant] ?? EMPTY_MOMENTS, alpha, plan, estimator: estimatorOf(evidence, control, variant) }))
    }
  }
  const enough = (c: Comparison) => c.controlN >= minUnits && c.treatmentN >= minUnits
  holmFamily(comparisons.filter((c) => c.role === 'guardrail'), s.alpha, (c) => c.status === 'ok' && enough(c))
  if (s.test !== 'gst') holmFamily(comparisons.filter((c) => c.role === 'primary'), s.alpha, (c) => c.status === 'ok' && enough(c))
  const secondary = comparisons.filter((c) => c.role === 'secondary')
  const bh = benjaminiHochberg({ pValues: secondary.map((c) => (c.status === 'ok' ? c.sequentialP : null)) }).adjusted
  secondary.forEach((c, i) => {
    c.adjustedP = bh[i] ?? null
    c.significant = c.adjustedP !== null && c.adjustedP <= s.alpha
  })

  const weights = spec.variants.map((v) => v.weight)
  const chi = srmChiSquare({ counts, weights })
  const srmResult = s.srmTest === 'sequential' ? { ...sequentialSrm({ counts, weights }), chiSquare: chi.chiSquare } : chi
  const srm = { pValue: srmResult.pValue, status: srmResult.status, counts, test: s.srmTest }
  const lastEventMs = input.units.reduce<number | null>((m, u) => (u.lastEventMs === null ? m : Math.max(m ?? 0, u.lastEventMs)), null)
  const out = (decision: Decision, reasons: Reason[], needsApproval = false, result: ExperimentResult | null = null): DecisionOutcome => ({
    result: decision === 'complete' ? result ?? 'no-effect-detected' : null,
    decision,
    reasons: reasons.map((r) => ({ ...r, numbers: Object.fromEntries(Object.entries(r.numbers).map(([k, v]) => [k, v === null || Number.isFinite(v) ? v : null])) })),
    needsApproval,
    comparisons,
    srm,
    lastEventMs,
    // Spent only if the primary's group-sequential test actually ran.
    gstFraction: gst && comparisons.some((c) => c.role === 'primary' && c.method === 'gst' && c.status === 'ok') ? gst.informationFractions.at(-1)! : null,
  })
  const numbers = (c: Comparison) => ({
    controlMean: c.controlMean,
    treatmentMean: c.treatmentMean,
    effect: c.effect,
    ciLow: c.ci?.[0] ?? null,
    ciHigh: c.ci?.[1] ?? null,
    pValue: c.sequentialP,
    adjustedPValue: c.adjustedP ?? null,
    alpha: c.alpha,
    controlUnits: c.controlN,
    treatmentUnits: c.treatmentN,
  })

  // 1. Harm on a guardrail.
  const harms = comparisons.filter((c) => c.role === 'guardrail' && c.harmful)
  if (harms.length > 0) {
    const reasons: Reason[] = harms.map((c) => c.quantileLevel !== undefined ? {
      code: 'TAIL_HARM',
      metric: c.metric,
      variant: c.variant,
      message: `${c.metric} p${fmt(c.quantileLevel * 100, 3)} ${fmt(c.controlMean)} → ${fmt(c.treatmentMean)} in ${c.variant} (difference ${fmt(c.effect)}, interval [${fmt(c.ci?.[0])}, ${fmt(c.ci?.[1])}], confidence sequence p=${fmt(c.sequentialP, 3)}, Holm-adjusted ${fmt(c.adjustedP, 3)} < α=${fmt(c.alpha, 3)})`,
      numbers: { ...numbers(c), level: c.quantileLevel, controlQuantile: c.controlMean, treatmentQuantile: c.treatmentMean },
    } : {
      code: 'GUARDRAIL_HARM',
      metric: c.metric,
      variant: c.variant,
      message: `${c.metric} ${fmt(c.controlMean)} → ${fmt(c.treatmentMean)} in ${c.variant} (effect ${fmt(c.effect)}, harm test ${c.method} p=${fmt(c.sequentialP, 3)}, Holm-adjusted ${fmt(c.adjustedP, 3)} < α=${fmt(c.alpha, 3)})`,
      numbers: numbers(c),
    })
    return spec.policy.autoRollback ? out('rollback', reasons) : out('pause', reasons, true)
  }

  // 1b. SLO guardrails on the windowed SLIs: the treatment burns its budget (rollback or pause,
  // per policy); control burns it too (an alert and a pause, not the variant's fault).
  const slo = sloReasons({ metrics: input.metrics, control, treatments })
  if (slo.treatment.length > 0) return spec.policy.autoRollback ? out('rollback', slo.treatment) : out('pause', slo.treatment, true)
  if (slo.bothArms.length > 0) return out('pause', slo.bothArms)

  // 2. Sample ratio mismatch.
  if (srmResult.status === 'ok' && srmResult.pValue !== null && srmResult.pValue < spec.statistics.srmAlpha) {
    return out('pause', [
      {
        code: 'SRM',
        message: `sample ratio mismatch: units ${counts.join(' / ')} vs weights ${weights.join(' / ')} (χ²=${fmt(srmResult.chiSquare)}, ${s.srmTest} p=${fmt(srmResult.pValue, 3)} < ${s.srmAlpha})`,
        numbers: { chiSquare: srmResult.chiSquare, pValue: srmResult.pValue, ...Object.fromEntries(spec.variants.map((v, i) => [`units_${v.name}`, counts[i] ?? 0])) },
      },
    ])
  }

  // 2b. Units logged under a variant the gate's hash does not give them.
  const misrouted = misroutingReason({ evidence: input.misrouting, minUnits, ...(input.maxMisroutedShare !== undefined ? { maxShare: input.maxMisroutedShare } : {}) })
  if (misrouted) return out('pause', [misrouted])

  // 3. Telemetry freshness.
  const since = record.stepStartedAt ?? record.startedAt ?? now
  const staleAfter = spec.evaluation.staleAfter
  // Staleness counts from the step's start when later: a resume (or ramp) gives telemetry staleAfter
  // to arrive, since a paused experiment exposed no units and so sent none.
  if (lastEventMs === null) {
    if (now - since > staleAfter) {
      return out('pause', [{ code: 'NO_TELEMETRY', message: `no telemetry ${formatDuration(now - since)} after start (limit ${formatDuration(staleAfter)})`, numbers: { secondsSinceStart: (now - since) / 1000, staleAfterSeconds: staleAfter / 1000 } }])
    }
  } else if (now - Math.max(lastEventMs, record.stepStartedAt ?? lastEventMs) > staleAfter) {
    return out('pause', [{ code: 'TELEMETRY_STALE', message: `telemetry stale: last event ${formatDuration(now - lastEventMs)} ago (limit ${formatDuration(staleAfter)})`, numbers: { freshnessSeconds: (now - lastEventMs) / 1000, staleAfterSeconds: staleAfter / 1000 } }])
  }

  // 4. Maximum duration.
  const guardrailList = comparisons.filter((c) => c.role === 'guardrail')
  const unmeasured = guardrailList.filter((c) => !enough(c) || c.status !== 'ok')
  const noData = unmeasured.length > 0 ? noDataReason(unmeasured, minUnits) : null
  const primaries = comparisons.filter((c) => c.role === 'primary')
  const resultNow = () => completionResult({ primary: primaries.filter((c) => c.significant && enough(c)), metric: spec.metrics.primary, guardrailsClean: noData === null })
  const runningFor = now - (record.startedAt ?? now)
  if (runningFor >= spec.maxDuration) {
    // The run ends either way; guardrails without data are said, and keep it from counting as shipped.
    const ended: Reason = { code: 'MAX_DURATION_REACHED', message: `ran ${formatDuration(runningFor)} of max ${formatDuration(spec.maxDuration)}`, numbers: { runningSeconds: runningFor / 1000 } }
    return out('complete', noData ? [ended, noData] : [ended], false, resultNow())
  }

  const steps = spec.rollout.steps
  const step = steps[record.step]!
  const inStep = now - (record.stepStartedAt ?? now)
  const durationMet = inStep >= step.minDuration
  const guardrails = comparisons.filter((c) => c.role === 'guardrail')
  const healthy: Reason = {
    code: 'HEALTHY',
    message: `guardrails healthy: ${guardrails.map((c) => `${c.metric}/${c.variant} p=${fmt(c.sequentialP, 3)}${c.degenerate ? ` (an arm at 0%/100%: pooled test, Newcombe interval [${fmt(c.ci?.[0])}, ${fmt(c.ci?.[1])}])` : ''}`).join(', ') || 'none'}`,
    numbers: Object.fromEntries(guardrails.map((c) => [`p_${c.metric}_${c.variant}`, c.sequentialP])),
  }
  const pending: Reason = { code: 'STEP_DURATION_PENDING', message: `step ${record.step + 1} at ${step.exposure}% for ${formatDuration(inStep)} of ${formatDuration(step.minDuration)}`, numbers: { inStepSeconds: inStep / 1000, minSeconds: step.minDuration / 1000 } }

  // 5. Last step: complete when the primary metric is conclusive.
  if (record.step === steps.length - 1) {
    const primary = comparisons.filter((c) => c.role === 'primary')
    const conclusive = primary.filter((c) => c.significant && enough(c))
    if (durationMet && conclusive.length > 0 && noData) {
      // A conclusive primary does not complete while a guardrail is unmeasured: the ship would be blind.
      return out('continue', [noData, { code: 'PRIMARY_CONCLUSIVE', message: `primary conclusive; completing once every guardrail has data`, numbers: Object.fromEntries(conclusive.map((c) => [`p_${c.variant}`, c.adjustedP ?? c.sequentialP])) }])
    }
    if (durationMet && conclusive.length > 0) {
      return out(
        'complete',
        conclusive.map((c) => ({
          code: 'PRIMARY_CONCLUSIVE' as const,
          metric: c.metric,
          variant: c.variant,
          message: `${c.metric} ${fmt(c.controlMean)} → ${fmt(c.treatmentMean)} in ${c.variant} (lift ${fmt((c.relativeEffect ?? 0) * 100, 3)}%${cupedNote(c)}, ${c.method} p=${fmt(c.adjustedP ?? c.sequentialP, 3)} < α=${fmt(c.alpha, 3)})`,
          numbers: numbers(c),
        })),
        false,
        resultNow(),
      )
    }
    const why: Reason[] = !durationMet ? [pending] : []
    const summary = primary.map((c) => `${c.metric}/${c.variant} p=${fmt(c.sequentialP, 3)}`).join(', ')
    const pValues = Object.fromEntries(primary.map((c) => [`p_${c.variant}`, c.sequentialP]))
    if (conclusive.length > 0) why.push({ code: 'PRIMARY_CONCLUSIVE', message: `primary conclusive (${summary}); completing once the step's minimum duration has passed`, numbers: pValues })
    else why.push({ code: 'PRIMARY_INCONCLUSIVE', message: `primary ${summary}`, numbers: pValues })
    return out('continue', why)
  }

  // 6. Ramp.
  if (!durationMet) return out('continue', [pending])
  if (noData) return out('continue', [noData])
  const budget = rampBudgetReasons({ metrics: input.metrics, treatments, ...(input.rampMaxBurn !== undefined ? { maxBurn: input.rampMaxBurn } : {}) })
  if (budget.length > 0) return out('continue', budget)
  const needsApproval = spec.policy.approvalToRamp || step.approval
  const next = steps[record.step + 1]!
  const reasons: Reason[] = [
    { code: 'STEP_DURATION_MET', message: `step ${record.step + 1} (${step.exposure}%) held ${formatDuration(inStep)} ≥ ${formatDuration(step.minDuration)}; ramp to ${next.exposure}%`, numbers: { inStepSeconds: inStep / 1000, fromExposure: step.exposure, toExposure: next.exposure } },
    healthy,
  ]
  if (needsApproval) reasons.push({ code: 'APPROVAL_REQUIRED', message: 'policy requires a human to approve this ramp', numbers: {} })
  return out('ramp', reasons, needsApproval)
}

/**
 * GUARDRAIL_NO_DATA: guardrails that cannot be judged (below minUnits per arm, no data at all,
 * below the quantile's or the look's minimum sample, no usable test), with their counts. It
 * blocks ramps and completion on a conclusive primary: the engine never acts on missing data.
 */
function noDataReason(list: Comparison[], minUnits: number): Reason {
  const what = (c: Comparison) =>
    c.controlN === 0 && c.treatmentN === 0
      ? 'no data'
      : c.quantileLevel !== undefined && c.status === 'INSUFFICIENT_SAMPLE'
        ? `${c.controlN}+${c.treatmentN} units, below the minimum sample for the quantile p${Number((c.quantileLevel * 100).toPrecision(3))}`
      : c.status === 'LOOK_SAMPLE_PENDING'
        ? `${c.controlN}+${c.treatmentN} units, skewness needs ${c.minLookUnits ?? '?'} per arm`
        : c.status !== 'ok' && c.controlN >= minUnits && c.treatmentN >= minUnits
          ? `${c.controlN}+${c.treatmentN} units, test ${c.status}`
          : `${c.controlN}+${c.treatmentN} units`
  return {
    code: 'GUARDRAIL_NO_DATA',
    metric: list.length === 1 ? list[0]!.metric : undefined,
    message: `guardrails without enough data (need ${minUnits} units per arm): ${list.map((c) => `${c.metric}/${c.variant} ${what(c)}`).join(', ')}`,
    numbers: { minUnits, ...Object.fromEntries(list.flatMap((c) => [[`controlUnits_${c.metric}_${c.variant}`, c.controlN], [`treatmentUnits_${c.metric}_${c.variant}`, c.treatmentN]])) },
  }
}
