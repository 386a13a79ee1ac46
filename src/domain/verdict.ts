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
])
export type ReasonCode = z.infer<typeof ReasonCode>

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
})
export type Verdict = z.infer<typeof VerdictSchema>

export const ENGINE_VERSION = 'runway-decide/1'
