import { formatDuration } from '../domain/duration.js'
import type { ExperimentRecord } from '../domain/experiment-record.js'
import type { LifecycleEvent } from '../domain/lifecycle.js'

/** Pause reasons a telemetry recovery may undo; any other code in the pause keeps it. */
export const TELEMETRY_PAUSE_CODES: readonly string[] = ['TELEMETRY_STALE', 'NO_TELEMETRY']

export interface TelemetrySince {
  /** first and newest event at or after the pause (null: none) */
  firstEventMs: number | null
  lastEventMs: number | null
  events: number
}

export type AutoResumeDecision =
  | { resume: true; reason: string; codes: string[] }
  | { resume: false; why: 'not-paused' | 'not-a-telemetry-pause' | 'person-paused' | 'disabled' | 'no-telemetry' | 'holding' | 'stale' }

/**
 * Whether a paused experiment resumes by itself: only when the pause was a verdict's and every
 * code in it is a telemetry code, the namespace's policy allows it, and telemetry has flowed
 * since for at least the hold time with its newest event within staleAfter. A person's pause
 * (or any pause with another reason: harm, SRM, SLO) waits for a person. Pure.
 */
export function autoResumeDecision(input: {
  record: ExperimentRecord
  /** the ledger entry that paused it (the newest entry) */
  pause: Pick<LifecycleEvent, 'to' | 'at' | 'actor' | 'codes'> | undefined
  telemetry: TelemetrySince
  now: number
  rules: { enabled: boolean; hold: number }
}): AutoResumeDecision {
  const { record, pause, telemetry, now, rules } = input
  if (record.state !== 'paused' || !pause || pause.to !== 'paused') return { resume: false, why: 'not-paused' }
  if (pause.actor.type === 'person') return { resume: false, why: 'person-paused' }
  const codes = pause.codes ?? []
  if (pause.actor.type !== 'verdict' || codes.length === 0 || !codes.every((c) => TELEMETRY_PAUSE_CODES.includes(c))) return { resume: false, why: 'not-a-telemetry-pause' }
  if (!rules.enabled) return { resume: false, why: 'disabled' }
  if (telemetry.firstEventMs === null || telemetry.lastEventMs === null || telemetry.events === 0) return { resume: false, why: 'no-telemetry' }
  const flowing = now - telemetry.firstEventMs
  if (flowing < rules.hold) return { resume: false, why: 'holding' }
  const age = now - telemetry.lastEventMs
  if (age > record.spec.evaluation.staleAfter) return { resume: false, why: 'stale' }
  return {
    resume: true,
    codes: ['AUTO_RESUMED'],
    reason: `auto-resumed: telemetry healthy for ${formatDuration(flowing)} (hold ${formatDuration(rules.hold)}; ${telemetry.events} events since the ${codes.join('/')} pause, newest ${formatDuration(age)} ago)`,
  }
}
