import { z } from 'zod'
import type { ExperimentSpec } from './experiment.js'
import type { LifecycleEvent } from './lifecycle.js'
import type { PolicyFailure } from './policy.js'
import type { Verdict } from './verdict.js'

/**
 * Outgoing notifications: one stable schema for every sink (webhook, Alertmanager,
 * Slack). Pure: builders take what happened and return events; ids are derived from
 * what happened (experiment, ledger seq, verdict id, rule), so a retried emit of the
 * same fact yields the same id, which receivers use as their idempotency key.
 */
export const NOTIFY_EVENT_TYPES = [
  // Lifecycle transitions, named by the state moved to (a ramp is `ramped`).
  'queued', 'scheduled', 'started', 'ramped', 'paused', 'resumed', 'completed', 'rolled_back', 'rejected', 'cancelled', 'expired', 'archived',
  /** A verdict other than continue (ramp, pause, rollback, complete), applied or not. */
  'verdict',
  /** The policy engine refused a start or a ramp. */
  'policy_refused',
  /** A health condition seen by the engine: SRM, misrouting, stale telemetry, guardrail without data, interference. */
  'health_warning',
  /** An incoming alert put a service in incident mode, or lifted it. */
  'incident_opened', 'incident_resolved',
] as const
export const NotifyEventType = z.enum(NOTIFY_EVENT_TYPES)
export type NotifyEventType = z.infer<typeof NotifyEventType>

/** page: wake someone; ticket: look at it today; info: a record of what happened. */
export const Severity = z.enum(['page', 'ticket', 'info'])
export type Severity = z.infer<typeof Severity>

/** Reason codes that are health warnings when a verdict carries them. */
export const HEALTH_CODES = ['SRM', 'MISROUTING', 'TELEMETRY_STALE', 'GUARDRAIL_NO_DATA', 'INTERFERENCE'] as const

export const NotifyReason = z.strictObject({
  code: z.string(),
  message: z.string(),
  numbers: z.record(z.string(), z.number().nullable()).default({}),
})

/** The condition an alerting sink keeps open until it clears (Alertmanager's startsAt/endsAt). */
export const AlertState = z.strictObject({
  /** With the experiment, the deduplication key: one alert per experiment and rule. */
  rule: z.string(),
  status: z.enum(['firing', 'resolved']),
})

export const NotifyEventSchema = z.strictObject({
  /** Stable per fact; the idempotency id receivers deduplicate on. */
  id: z.string().min(1),
  schema: z.literal('runway.notify/1'),
  type: NotifyEventType,
  at: z.number().int(),
  experimentId: z.string(),
  namespace: z.string(),
  owner: z.string(),
  onCall: z.string(),
  services: z.array(z.string()),
  severity: Severity,
  /** One line for people. */
  summary: z.string(),
  reasons: z.array(NotifyReason),
  /** `<RUNWAY_PUBLIC_URL>/experiments/<id>` */
  link: z.string(),
  runbook: z.string(),
  alert: AlertState.nullable(),
  /** Set while a maintenance or freeze window covers the event: alerting sinks do not page. */
  suppressedBy: z.string().nullable(),
})
export type NotifyEvent = z.infer<typeof NotifyEventSchema>

export interface EventContext {
  publicUrl: string
  spec: Pick<ExperimentSpec, 'id' | 'namespace' | 'owner' | 'onCall' | 'services'> & { runbook?: string }
}

type Draft = Pick<NotifyEvent, 'id' | 'type' | 'at' | 'severity' | 'summary' | 'reasons' | 'alert'>

function finish(ctx: EventContext, d: Draft): NotifyEvent {
  const s = ctx.spec
  return {
    ...d,
    schema: 'runway.notify/1',
    experimentId: s.id,
    namespace: s.namespace,
    owner: s.owner,
    onCall: s.onCall,
    services: [...s.services],
    link: `${ctx.publicUrl.replace(/\/+$/, '')}/experiments/${encodeURIComponent(s.id)}`,
    runbook: s.runbook ?? '',
    suppressedBy: null,
  }
}

const TRANSITION_TYPE: Record<string, NotifyEventType> = {
  queued: 'queued', scheduled: 'scheduled', completed: 'completed', rolled_back: 'rolled_back', rejected: 'rejected',
  cancelled: 'cancelled', expired: 'expired', archived: 'archived', paused: 'paused',
}

export function transitionType(e: Pick<LifecycleEvent, 'from' | 'to'>): NotifyEventType {
  if (e.to === 'running') return e.from === 'running' ? 'ramped' : e.from === 'paused' ? 'resumed' : 'started'
  return TRANSITION_TYPE[e.to] ?? 'queued'
}

/**
 * A rollback pages (harm reached users); a pause by the engine or an incident is a
 * ticket; everything else is info. Alerts open on pause and rollback and close when
 * the experiment resumes or ends (a rollback's alert closes when it is archived).
 */
export function fromTransition(ctx: EventContext, e: LifecycleEvent): NotifyEvent {
  const type = transitionType(e)
  const severity: Severity = type === 'rolled_back' ? 'page' : type === 'paused' && e.actor.type !== 'person' ? 'ticket' : 'info'
  let alert: NotifyEvent['alert'] = null
  if (type === 'rolled_back') alert = { rule: 'rolled_back', status: 'firing' }
  else if (type === 'paused') alert = { rule: 'paused', status: 'firing' }
  else if (type === 'resumed' || (e.from === 'paused' && e.to !== 'paused')) alert = { rule: 'paused', status: 'resolved' }
  if (type === 'archived' && e.from === 'rolled_back') alert = { rule: 'rolled_back', status: 'resolved' }
  return finish(ctx, {
    id: `tr-${e.experimentId}-${e.seq}`,
    type,
    at: e.at,
    severity,
    summary: `${e.experimentId}: ${e.from ?? 'new'} → ${e.to} (${e.reason})`,
    reasons: (e.codes ?? []).map((code) => ({ code, message: e.reason, numbers: { step: e.step, exposure: e.exposure } })),
    alert,
  })
}

/** Severity of a verdict: rollback and a system-level SLO breach page; analytic anomalies are tickets. */
export function verdictSeverity(v: Pick<Verdict, 'decision' | 'reasons'>): Severity {
  if (v.decision === 'rollback' || v.reasons.some((r) => r.code === 'SLO_BURN_CONTROL')) return 'page'
  if (v.decision === 'pause' || v.reasons.some((r) => r.code === 'SRM' || r.code === 'PRIMARY_INCONCLUSIVE' && v.decision === 'complete')) return 'ticket'
  return 'info'
}

/** Events for one verdict: the decision (not continue) and each health warning it carries. */
export function fromVerdict(ctx: EventContext, v: Verdict): NotifyEvent[] {
  const out: NotifyEvent[] = []
  const reasons = v.reasons.map((r) => ({ code: r.code, message: r.message, numbers: r.numbers ?? {} }))
  if (v.decision !== 'continue') {
    out.push(finish(ctx, { id: `vd-${v.id}`, type: 'verdict', at: v.evaluatedAt, severity: verdictSeverity(v), summary: `${v.experimentId}: verdict ${v.decision} at step ${v.step}`, reasons, alert: null }))
  }
  for (const r of v.reasons) {
    if (!(HEALTH_CODES as readonly string[]).includes(r.code)) continue
    out.push(finish(ctx, {
      id: `hw-${v.id}-${r.code}${r.metric ? `-${r.metric}` : ''}`,
      type: 'health_warning',
      at: v.evaluatedAt,
      severity: ['SRM', 'MISROUTING', 'INTERFERENCE'].includes(r.code) ? 'ticket' : 'info',
      summary: `${v.experimentId}: ${r.code}: ${r.message}`,
      reasons: [{ code: r.code, message: r.message, numbers: r.numbers ?? {} }],
      alert: null,
    }))
  }
  return out
}

/** A refused start or ramp; `key` makes the id stable while the same rules keep refusing. */
export function fromRefusal(ctx: EventContext, phase: 'start' | 'ramp', failures: PolicyFailure[], at: number, key: string): NotifyEvent {
  const pii = failures.some((f) => /pii/i.test(f.rule))
  return finish(ctx, {
    id: `pr-${ctx.spec.id}-${phase}-${key}`,
    type: 'policy_refused',
    at,
    severity: pii ? 'page' : 'info',
    summary: `${ctx.spec.id}: policy refused the ${phase}: ${failures.map((f) => f.message).join('; ')}`,
    reasons: failures.map((f) => ({ code: f.rule, message: f.message, numbers: {} })),
    alert: null,
  })
}

/** The deduplication key of an alert: one per experiment and rule. */
export const alertKey = (e: Pick<NotifyEvent, 'experimentId' | 'alert'>) => `${e.experimentId}/${e.alert?.rule ?? ''}`
