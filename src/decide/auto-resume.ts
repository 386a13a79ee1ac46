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

/**
 * The services that sent the experiment's telemetry before the pause, and their telemetry for any
 * experiment (sql/queries/upstream-telemetry-batch.sql). A paused experiment exposes no units, so its
 * own tagged telemetry cannot come back while it is paused: whether the source recovered is seen
 * upstream, in what the same services send for the experiments still running.
 */
export interface UpstreamTelemetry {
  services: string[]
  /** the services' newest event before the pause (null: none) */
  lastBeforePauseMs: number | null
  since: TelemetrySince
}

export type AutoResumeDecision =
  | { resume: true; reason: string; codes: string[] }
  | {
      resume: false
      why: 'not-paused' | 'not-a-telemetry-pause' | 'person-paused' | 'disabled' | 'no-telemetry' | 'holding' | 'stale' | 'upstream-was-healthy'
    }

type Rules = { enabled: boolean; hold: number }

/** Telemetry flowing since the pause for at least the hold, its newest event within staleAfter. */
function judgeFlow(t: TelemetrySince, now: number, rules: Rules, staleAfter: number): { ok: true; flowing: number; age: number } | { ok: false; why: 'no-telemetry' | 'holding' | 'stale' } {
  if (t.firstEventMs === null || t.lastEventMs === null || t.events === 0) return { ok: false, why: 'no-telemetry' }
  const flowing = now - t.firstEventMs
  if (flowing < rules.hold) return { ok: false, why: 'holding' }
  const age = now - t.lastEventMs
  if (age > staleAfter) return { ok: false, why: 'stale' }
  return { ok: true, flowing, age: Math.max(0, age) }
}

/**
 * Whether a paused experiment resumes by itself: only when the pause was a verdict's and every
 * code in it is a telemetry code, the namespace's policy allows it, and telemetry has flowed
 * since for at least the hold time with its newest event within staleAfter. That telemetry is the
 * experiment's own or, since a paused experiment exposes no units, its upstream's: the services
 * that sent its telemetry, for other experiments. The upstream counts only if it was silent at
 * the pause too (the cause was the source, and the source is back); an upstream that never
 * stopped says the fault is in this experiment's own telemetry, which only a person can check.
 * A person's pause (or any pause with another reason: harm, SRM, SLO) waits for a person. Pure.
 */
export function autoResumeDecision(input: {
  record: ExperimentRecord
  /** the ledger entry that paused it (the newest entry) */
  pause: Pick<LifecycleEvent, 'to' | 'at' | 'actor' | 'codes'> | undefined
  telemetry: TelemetrySince
  upstream?: UpstreamTelemetry | null
  now: number
  rules: Rules
}): AutoResumeDecision {
  const { record, pause, telemetry, now, rules } = input
  if (record.state !== 'paused' || !pause || pause.to !== 'paused') return { resume: false, why: 'not-paused' }
  if (pause.actor.type === 'person') return { resume: false, why: 'person-paused' }
  const codes = pause.codes ?? []
  if (pause.actor.type !== 'verdict' || codes.length === 0 || !codes.every((c) => TELEMETRY_PAUSE_CODES.includes(c))) return { resume: false, why: 'not-a-telemetry-pause' }
  if (!rules.enabled) return { resume: false, why: 'disabled' }
  const staleAfter = record.spec.evaluation.staleAfter
  const own = judgeFlow(telemetry, now, rules, staleAfter)
  if (own.ok) {
    return {
      resume: true,
      codes: ['AUTO_RESUMED'],
      reason: `auto-resumed: telemetry healthy for ${formatDuration(own.flowing)} (hold ${formatDuration(rules.hold)}; ${telemetry.events} events since the ${codes.join('/')} pause, newest ${formatDuration(own.age)} ago)`,
    }
  }
  const up = input.upstream
  if (own.why !== 'no-telemetry' || !up || up.services.length === 0) return { resume: false, why: own.why }
  if (up.lastBeforePauseMs !== null && pause.at - up.lastBeforePauseMs <= staleAfter) return { resume: false, why: 'upstream-was-healthy' }
  const flow = judgeFlow(up.since, now, rules, staleAfter)
  if (!flow.ok) return { resume: false, why: flow.why }
  return {
    resume: true,
    codes: ['AUTO_RESUMED'],
    reason: `auto-resumed: upstream telemetry healthy again for ${formatDuration(flow.flowing)} (hold ${formatDuration(rules.hold)}; service ${up.services.join(', ')} silent at the ${codes.join('/')} pause, ${up.since.events} events since, newest ${formatDuration(flow.age)} ago)`,
  }
}
