import { controlOf, metricsOf } from '../domain/experiment.js'
import { formatDuration } from '../domain/duration.js'
import type { Decision, Reason } from '../domain/verdict.js'
import { srmChiSquare } from '../stats/srm.js'
import { compare } from './compare.js'
import { type Comparison, EMPTY_MOMENTS, type EvaluationInput } from './evidence.js'

export interface DecisionOutcome {
  decision: Decision
  reasons: Reason[]
  needsApproval: boolean
  comparisons: Comparison[]
  srm: { pValue: number | null; status: string; counts: number[] }
  /** Newest event time across variants, null when none arrived. */
  lastEventMs: number | null
}

const fmt = (x: number | null | undefined, digits = 4) => (x === null || x === undefined ? 'n/a' : Number(x.toPrecision(digits)).toString())

/**
 * Evidence + policy + clock → decision, in this order of precedence:
 * 1. guardrail harm declared by the sequential test → rollback (pause without auto-rollback);
 * 2. sample ratio mismatch (p < srmAlpha) → pause;
 * 3. stale or missing telemetry → pause;
 * 4. maximum duration reached → complete;
 * 5. last step: primary metric conclusive after the step's minimum duration → complete;
 * 6. earlier step: minimum duration met and every guardrail measured without harm → ramp;
 * 7. otherwise continue.
 * Guardrails are tested at α / (guardrails × treatments) (Bonferroni), so the chance that
 * any healthy variant is rolled back stays ≤ α however often it is evaluated.
 */
export function decide(input: EvaluationInput): DecisionOutcome {
  const { record, now } = input
  const spec = record.spec
  const control = controlOf(spec)
  const treatments = spec.variants.slice(1).map((v) => v.name)
  const guardrailAlpha = spec.statistics.alpha / Math.max(1, spec.metrics.guardrails.length * treatments.length)
  const primaryAlpha = spec.statistics.alpha / treatments.length
  const minUnits = spec.evaluation.minUnits

  const comparisons: Comparison[] = []
  for (const { role, metric } of metricsOf(spec)) {
    const moments = input.metrics.find((m) => m.metric === metric.name)?.byVariant ?? {}
    for (const variant of treatments) {
      comparisons.push(
        compare({
          metric,
          role,
          variant,
          control: moments[control] ?? EMPTY_MOMENTS,
          treatment: moments[variant] ?? EMPTY_MOMENTS,
          alpha: role === 'guardrail' ? guardrailAlpha : primaryAlpha,
          mde: spec.statistics.mde,
          ...(spec.statistics.tau !== undefined ? { tau: spec.statistics.tau } : {}),
        }),
      )
    }
  }

  const counts = spec.variants.map((v) => input.units.find((u) => u.variant === v.name)?.units ?? 0)
  const srmResult = srmChiSquare({ counts, weights: spec.variants.map((v) => v.weight) })
  const srm = { pValue: srmResult.pValue, status: srmResult.status, counts }
  const lastEventMs = input.units.reduce<number | null>((m, u) => (u.lastEventMs === null ? m : Math.max(m ?? 0, u.lastEventMs)), null)
  const out = (decision: Decision, reasons: Reason[], needsApproval = false): DecisionOutcome => ({ decision, reasons, needsApproval, comparisons, srm, lastEventMs })

  const enough = (c: Comparison) => c.controlN >= minUnits && c.treatmentN >= minUnits
  const numbers = (c: Comparison) => ({
    controlMean: c.controlMean,
    treatmentMean: c.treatmentMean,
    effect: c.effect,
    ciLow: c.ci?.[0] ?? null,
    ciHigh: c.ci?.[1] ?? null,
    pValue: c.sequentialP,
    alpha: c.alpha,
    controlUnits: c.controlN,
    treatmentUnits: c.treatmentN,
  })

  // 1. Harm on a guardrail.
  const harms = comparisons.filter((c) => c.role === 'guardrail' && c.harmful && enough(c))
  if (harms.length > 0) {
    const reasons: Reason[] = harms.map((c) => ({
      code: 'GUARDRAIL_HARM',
      metric: c.metric,
      variant: c.variant,
      message: `${c.metric} ${fmt(c.controlMean)} → ${fmt(c.treatmentMean)} in ${c.variant} (effect ${fmt(c.effect)}, always-valid p=${fmt(c.sequentialP, 3)} < α=${fmt(c.alpha, 3)})`,
      numbers: numbers(c),
    }))
    return spec.policy.autoRollback ? out('rollback', reasons) : out('pause', reasons, true)
  }

  // 2. Sample ratio mismatch.
  if (srmResult.status === 'ok' && srmResult.pValue !== null && srmResult.pValue < spec.statistics.srmAlpha) {
    return out('pause', [
      {
        code: 'SRM',
        message: `sample ratio mismatch: units ${counts.join(' / ')} vs weights ${spec.variants.map((v) => v.weight).join(' / ')} (χ²=${fmt(srmResult.chiSquare)}, p=${fmt(srmResult.pValue, 3)} < ${spec.statistics.srmAlpha})`,
        numbers: { chiSquare: srmResult.chiSquare, pValue: srmResult.pValue, ...Object.fromEntries(spec.variants.map((v, i) => [`units_${v.name}`, counts[i] ?? 0])) },
      },
    ])
  }

  // 3. Telemetry freshness.
  const since = record.stepStartedAt ?? record.startedAt ?? now
  const staleAfter = spec.evaluation.staleAfter
  if (lastEventMs === null) {
    if (now - since > staleAfter) {
      return out('pause', [{ code: 'NO_TELEMETRY', message: `no telemetry ${formatDuration(now - since)} after start (limit ${formatDuration(staleAfter)})`, numbers: { secondsSinceStart: (now - since) / 1000, staleAfterSeconds: staleAfter / 1000 } }])
    }
  } else if (now - lastEventMs > staleAfter) {
    return out('pause', [{ code: 'TELEMETRY_STALE', message: `telemetry stale: last event ${formatDuration(now - lastEventMs)} ago (limit ${formatDuration(staleAfter)})`, numbers: { freshnessSeconds: (now - lastEventMs) / 1000, staleAfterSeconds: staleAfter / 1000 } }])
  }

  // 4. Maximum duration.
  const runningFor = now - (record.startedAt ?? now)
  if (runningFor >= spec.maxDuration) {
    return out('complete', [{ code: 'MAX_DURATION_REACHED', message: `ran ${formatDuration(runningFor)} of max ${formatDuration(spec.maxDuration)}`, numbers: { runningSeconds: runningFor / 1000 } }])
  }

  const steps = spec.rollout.steps
  const step = steps[record.step]!
  const inStep = now - (record.stepStartedAt ?? now)
  const durationMet = inStep >= step.minDuration
  const guardrails = comparisons.filter((c) => c.role === 'guardrail')
  const thin = guardrails.filter((c) => !enough(c))
  const healthy: Reason = {
    code: 'HEALTHY',
    message: `guardrails healthy: ${guardrails.map((c) => `${c.metric}/${c.variant} p=${fmt(c.sequentialP, 3)}`).join(', ') || 'none'}`,
    numbers: Object.fromEntries(guardrails.map((c) => [`p_${c.metric}_${c.variant}`, c.sequentialP])),
  }
  const pending: Reason = { code: 'STEP_DURATION_PENDING', message: `step ${record.step + 1} at ${step.exposure}% for ${formatDuration(inStep)} of ${formatDuration(step.minDuration)}`, numbers: { inStepSeconds: inStep / 1000, minSeconds: step.minDuration / 1000 } }
  const thinReason = (list: Comparison[]): Reason => ({
    code: 'INSUFFICIENT_SAMPLE',
    message: `need ${minUnits} units per arm: ${list.map((c) => `${c.metric}/${c.variant} ${c.controlN}+${c.treatmentN}`).join(', ')}`,
    numbers: { minUnits },
  })

  // 5. Last step: complete when the primary metric is conclusive.
  if (record.step === steps.length - 1) {
    const primary = comparisons.filter((c) => c.role === 'primary')
    const conclusive = primary.filter((c) => c.significant && enough(c))
    if (durationMet && conclusive.length > 0) {
      return out(
        'complete',
        conclusive.map((c) => ({
          code: 'PRIMARY_CONCLUSIVE' as const,
          metric: c.metric,
          variant: c.variant,
          message: `${c.metric} ${fmt(c.controlMean)} → ${fmt(c.treatmentMean)} in ${c.variant} (lift ${fmt((c.relativeEffect ?? 0) * 100, 3)}%, always-valid p=${fmt(c.sequentialP, 3)} < α=${fmt(c.alpha, 3)})`,
          numbers: numbers(c),
        })),
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
  if (thin.length > 0) return out('continue', [thinReason(thin)])
  const needsApproval = spec.policy.approvalToRamp || step.approval
  const next = steps[record.step + 1]!
  const reasons: Reason[] = [
    { code: 'STEP_DURATION_MET', message: `step ${record.step + 1} (${step.exposure}%) held ${formatDuration(inStep)} ≥ ${formatDuration(step.minDuration)}; ramp to ${next.exposure}%`, numbers: { inStepSeconds: inStep / 1000, fromExposure: step.exposure, toExposure: next.exposure } },
    healthy,
  ]
  if (needsApproval) reasons.push({ code: 'APPROVAL_REQUIRED', message: 'policy requires a human to approve this ramp', numbers: {} })
  return out('ramp', reasons, needsApproval)
}
