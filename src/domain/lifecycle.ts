import { z } from 'zod'

export const LifecycleState = z.enum([
  'draft',
  'queued',
  'scheduled',
  'running',
  'paused',
  'completed',
  'rolled_back',
  'rejected',
  'cancelled',
  'expired',
  'archived',
])
export type LifecycleState = z.infer<typeof LifecycleState>

/**
 * Allowed moves. running → running is a ramp (step k → k+1); every terminal
 * state can only be archived.
 */
const ALLOWED: Record<LifecycleState, readonly LifecycleState[]> = {
  draft: ['queued', 'rejected', 'cancelled'],
  queued: ['scheduled', 'rejected', 'cancelled', 'expired'],
  scheduled: ['running', 'queued', 'cancelled', 'expired'],
  running: ['running', 'paused', 'completed', 'rolled_back', 'cancelled', 'expired'],
  paused: ['running', 'completed', 'rolled_back', 'cancelled', 'expired'],
  completed: ['archived'],
  rolled_back: ['archived'],
  rejected: ['archived'],
  cancelled: ['archived'],
  expired: ['archived'],
  archived: [],
}

export const TERMINAL_STATES: readonly LifecycleState[] = ['completed', 'rolled_back', 'rejected', 'cancelled', 'expired', 'archived']

export const isTerminal = (s: LifecycleState) => TERMINAL_STATES.includes(s)

export function canTransition(from: LifecycleState, to: LifecycleState): boolean {
  return ALLOWED[from].includes(to)
}

export function allowedTargets(from: LifecycleState): readonly LifecycleState[] {
  return ALLOWED[from]
}

/** Who caused a transition: a person, the policy engine, a verdict or the system (scheduler). */
export const Actor = z.object({
  type: z.enum(['person', 'policy', 'verdict', 'system']),
  id: z.string().min(1),
})
export type Actor = z.infer<typeof Actor>

/** One ledger entry: every transition names its actor and reason. */
export const LifecycleEventSchema = z.object({
  experimentId: z.string(),
  seq: z.number().int().nonnegative(),
  at: z.number().int(),
  from: LifecycleState.nullable(),
  to: LifecycleState,
  step: z.number().int().nonnegative(),
  exposure: z.number().min(0).max(100),
  actor: Actor,
  reason: z.string(),
  verdictId: z.string().nullable().default(null),
  /** The applied verdict's per-experiment sequence, so a rebuild knows what was applied. */
  verdictSeq: z.number().int().positive().nullable().default(null),
  /** Bucket range held in the layer after this move (null when none is held). */
  allocation: z.object({ start: z.number().int(), size: z.number().int() }).nullable().default(null),
  /** Reason codes of the verdict (or refusal) behind this move; [] for a person's or the scheduler's. */
  codes: z.array(z.string()).optional(),
  /** Set when the experiment ends: shipped, no-effect-detected, regressed or stopped (domain/verdict.ts). */
  result: z.string().nullable().optional(),
  /**
   * On a refusal entry (from === to, domain/refusal.ts): what held the experiment, as the record's
   * blockedBy said when the entry was written, so a rebuild restores it with its paths and messages.
   */
  blockedBy: z.array(z.object({ rule: z.string(), path: z.string(), message: z.string() })).nullable().optional(),
  /** Hash chain (src/domain/ledger-chain.ts): the previous entry's hash, and this entry's. */
  prevHash: z.string().default(''),
  hash: z.string().default(''),
})
export type LifecycleEvent = z.infer<typeof LifecycleEventSchema>
