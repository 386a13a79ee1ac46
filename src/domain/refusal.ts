import type { ExperimentSpec } from './experiment.js'
import { type ExperimentRecord, exposureOf } from './experiment-record.js'
import { chainEntry, type LedgerKey } from './ledger-chain.js'
import type { Actor, LifecycleEvent } from './lifecycle.js'
import type { PolicyFailure } from './policy.js'
import type { Verdict } from './verdict.js'

/**
 * Refused starts and held ramps on the record, the API and the ledger (issue 14 item 4).
 * A refusal is kept in `blockedBy` (what holds the experiment now) and written to the ledger
 * as an entry that does not move the experiment: `from === to`, the same step. It is written
 * only when the refusal changes — the first refusal, or other reason codes than the one held —
 * so a start refused for a weekend is one entry, not one per scheduling tick. Pure.
 */

/** Verdict codes that hold a ramp (or a completion) without pausing: a `continue` carrying one is a held ramp. */
export const HOLD_CODES: readonly string[] = ['ERROR_BUDGET_GATE', 'GUARDRAIL_NO_DATA']

/** The policy engine refused; the failed rules follow it in the entry's codes. */
export const POLICY_REFUSED = 'POLICY_REFUSED'

export type RefusalPhase = 'start' | 'ramp' | 'completion'

export interface Refusal {
  phase: RefusalPhase
  /** What holds the experiment: policy failures, or the verdict's hold reasons in the same shape. */
  failures: PolicyFailure[]
  actor: Actor
  verdictId?: string | null
  verdictSeq?: number | null
}

const isHold = (rule: string) => HOLD_CODES.includes(rule)

/** The entry's codes: POLICY_REFUSED and the rules for a policy refusal, the verdict's codes for a hold. */
export function refusalCodes(failures: readonly PolicyFailure[]): string[] {
  const rules = [...new Set(failures.map((f) => f.rule))]
  return rules.some((r) => !isHold(r)) ? [POLICY_REFUSED, ...rules] : rules
}

/** Whether `next` is a new refusal against what is held: none held, or other codes. */
export function refusalChanged(previous: readonly PolicyFailure[] | null | undefined, next: readonly PolicyFailure[]): boolean {
  if (!previous || previous.length === 0) return true
  const a = new Set(refusalCodes(previous))
  const b = new Set(refusalCodes(next))
  return a.size !== b.size || [...a].some((c) => !b.has(c))
}

/** Whether `blockedBy` holds only verdict holds (which a later verdict without them lifts). */
export const onlyHolds = (blockedBy: readonly PolicyFailure[] | null | undefined): boolean =>
  !!blockedBy && blockedBy.length > 0 && blockedBy.every((f) => isHold(f.rule))

/** A ledger entry that records a refusal rather than a move. */
export const isRefusalEntry = (e: { from: string | null; to: string; codes?: readonly string[] | null }): boolean =>
  e.from !== null && e.from === e.to && (e.codes ?? []).some((c) => c === POLICY_REFUSED || isHold(c))

const PHASE_TEXT: Record<RefusalPhase, string> = { start: 'start refused', ramp: 'ramp held', completion: 'completion held' }

/** The entry and the record after it: one more link on the chain, the state and step unchanged. */
export function refusalEntry(record: ExperimentRecord, refusal: Refusal, at: number, key?: LedgerKey): { record: ExperimentRecord; event: LifecycleEvent } {
  const seq = record.ledgerSeq + 1
  const event = chainEntry(
    record.ledgerHash,
    {
      experimentId: record.spec.id,
      seq,
      at,
      from: record.state,
      to: record.state,
      step: record.step,
      exposure: exposureOf(record),
      actor: refusal.actor,
      reason: `${PHASE_TEXT[refusal.phase]}: ${refusal.failures.map((f) => `${f.rule}: ${f.message}`).join('; ')}`,
      verdictId: refusal.verdictId ?? null,
      verdictSeq: refusal.verdictSeq ?? null,
      allocation: record.allocation,
      codes: refusalCodes(refusal.failures),
      result: null,
      // What the record's blockedBy becomes, kept on the entry so a rebuild restores it as set here.
      blockedBy: refusal.failures,
    },
    key,
  )
  return { record: { ...record, version: record.version + 1, ledgerSeq: seq, ledgerHash: event.hash, blockedBy: refusal.failures }, event }
}

/**
 * What a refusal entry says holds the experiment: the failures it stored, or for an entry written
 * before entries stored them, the rules and messages read back from its reason (`<phase>: rule:
 * message; rule: message`), without paths — the reason never had them.
 */
export function refusalOf(e: Pick<LifecycleEvent, 'reason' | 'codes' | 'blockedBy'>): PolicyFailure[] {
  if (e.blockedBy && e.blockedBy.length > 0) return e.blockedBy.map((f) => ({ ...f }))
  const rules = (e.codes ?? []).filter((c) => c !== POLICY_REFUSED)
  const phase = Object.values(PHASE_TEXT).find((p) => e.reason.startsWith(`${p}: `))
  const text = phase ? e.reason.slice(phase.length + 2) : e.reason
  const escaped = rules.map((r) => r.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')
  const parts = rules.length > 0 ? text.split(new RegExp(`; (?=(?:${escaped}): )`)) : [text]
  return parts.map((part) => {
    const rule = rules.find((r) => part.startsWith(`${r}: `))
    return rule ? { rule, path: '', message: part.slice(rule.length + 2) } : { rule: rules[0] ?? POLICY_REFUSED, path: '', message: part }
  })
}

/** Where a metric sits in the spec, for a hold's path. */
function metricPath(spec: ExperimentSpec, name: string | undefined): string {
  if (name === undefined) return 'metrics.guardrails'
  const g = spec.metrics.guardrails.findIndex((m) => m.name === name)
  if (g >= 0) return `metrics.guardrails[${g}]`
  if (spec.metrics.primary.name === name) return 'metrics.primary'
  const s = spec.metrics.secondary.findIndex((m) => m.name === name)
  return s >= 0 ? `metrics.secondary[${s}]` : 'metrics'
}

/**
 * The hold a `continue` verdict puts on a running experiment at the verdict's step: its
 * ERROR_BUDGET_GATE and GUARDRAIL_NO_DATA reasons (the engine gives them only once the step's
 * minimum duration is met, so the ramp, or on the last step the completion, is what waits). Null
 * for any other verdict, or one that no longer applies to the record.
 */
export function verdictHold(v: Pick<Verdict, 'id' | 'seq' | 'decision' | 'step' | 'reasons'>, record: ExperimentRecord): Refusal | null {
  if (v.decision !== 'continue' || record.state !== 'running' || record.step !== v.step) return null
  const holds = v.reasons.filter((r) => isHold(r.code))
  if (holds.length === 0) return null
  return {
    phase: record.step === record.spec.rollout.steps.length - 1 ? 'completion' : 'ramp',
    failures: holds.map((r) => ({ rule: r.code, path: metricPath(record.spec, r.metric), message: r.message })),
    actor: { type: 'verdict', id: v.id },
    verdictId: v.id,
    verdictSeq: v.seq,
  }
}

/** A start the policy refused. */
export const startRefusal = (failures: PolicyFailure[]): Refusal => ({ phase: 'start', failures, actor: { type: 'policy', id: 'scheduler' } })

/** A ramp the policy refused (the controller stored the failures in blockedBy). */
export const rampRefusal = (failures: PolicyFailure[], v: Pick<Verdict, 'id' | 'seq'>): Refusal => ({ phase: 'ramp', failures, actor: { type: 'policy', id: 'controller' }, verdictId: v.id, verdictSeq: v.seq })
