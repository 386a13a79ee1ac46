import { z } from 'zod'

export const Decision = z.enum(['continue', 'ramp', 'pause', 'rollback', 'complete'])
export type Decision = z.infer<typeof Decision>

export const ReasonCode = z.enum([
  'GUARDRAIL_HARM',
  'SRM',
  'MISROUTING',
  'TELEMETRY_STALE',
  'NO_TELEMETRY',
  'STEP_DURATION_MET',
  'STEP_DURATION_PENDING',
  'PRIMARY_CONCLUSIVE',
  'PRIMARY_INCONCLUSIVE',
  'MAX_DURATION_REACHED',
  'INSUFFICIENT_SAMPLE',
  'APPROVAL_REQUIRED',
  'HEALTHY',
  /** A guardrail below the minimum sample (or with no usable test): blocks ramps and completion. */
  'GUARDRAIL_NO_DATA',
  /** A tail quantile (p95/p99) of a guardrail moved the harmful way. */
  'TAIL_HARM',
  /** The treatment's windowed SLI burns its error budget (multiwindow burn-rate rule). */
  'SLO_BURN',
  /** Control burns its budget too: not caused by the experiment (alert, do not blame the variant). */
  'SLO_BURN_CONTROL',
  /** An arm of a proportion guardrail sits at 0% or 100%: Newcombe interval and pooled test used. */
  'DEGENERATE_PROPORTION',
  /** Below the minimum sample per look from the metric's measured skewness: the look is not tested. */
  'LOOK_SAMPLE_PENDING',
  /** Telemetry logged under a variant the experiment does not have. */
  'UNKNOWN_VARIANT',
  /** The policy engine refused a start or a ramp the engine asked for. */
  'POLICY_REFUSED',
  /** Telemetry healthy again for the hold time after a telemetry pause. */
  'AUTO_RESUMED',
  /** Interference with another running experiment (interference job). */
  'INTERFERENCE',
  /** A verdict's note of a pair flagged by the latest interference run; informs, decides nothing. */
  'INTERFERENCE_FLAGGED',
  /** A ramp held: the upper confidence bound of a treatment's SLO burn rate is above the gate's threshold. */
  'ERROR_BUDGET_GATE',
])
export type ReasonCode = z.infer<typeof ReasonCode>

/**
 * What a finished experiment found: shipped (primary conclusive the wanted way, guardrails
 * clean), no-effect-detected (ended inconclusive), regressed (primary conclusive the wrong
 * way), stopped (rolled back, cancelled or expired before an answer).
 */
export const ExperimentResult = z.enum(['shipped', 'no-effect-detected', 'regressed', 'stopped'])
export type ExperimentResult = z.infer<typeof ExperimentResult>

export const Reason = z.object({
  code: ReasonCode,
  metric: z.string().optional(),
  variant: z.string().optional(),
  message: z.string(),
  numbers: z.record(z.string(), z.number().nullable()).default({}),
})
export type Reason = z.infer<typeof Reason>

export const VerdictSchema = z.object({
  id: z.string().min(1),
  experimentId: z.string().min(1),
  /** Per-experiment sequence: consumers ignore a verdict older than the last applied. */
  seq: z.number().int().positive(),
  decision: Decision,
  /** The step the evidence was gathered at; a ramp moves to step + 1. */
  step: z.number().int().nonnegative(),
  reasons: z.array(Reason),
  window: z.object({ from: z.number().int(), to: z.number().int() }),
  evaluatedAt: z.number().int(),
  engineVersion: z.string(),
  needsApproval: z.boolean(),
  /** For complete verdicts: what the experiment found. */
  result: ExperimentResult.nullable().optional(),
})
export type Verdict = z.infer<typeof VerdictSchema>

export const ENGINE_VERSION = 'runway-decide/1'
