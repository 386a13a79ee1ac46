import type { Incident } from '../domain/incident.js'
import { pauseReason } from '../domain/incident.js'
import type { EventContext, NotifyEvent } from '../domain/notify-event.js'

/**
 * Events that do not come from one ledger entry or verdict: incident mode turning on
 * and off, and a pair of experiments flagged by the interference job. Pure builders,
 * like domain/notify-event.ts; ids are derived from the fact so a re-emit keeps its id.
 */

/**
 * An incident opening or lifting. Not an Alertmanager alert (`alert: null`): the alert
 * came from Alertmanager, and posting it back would loop. Opening is a ticket (experiments
 * on the service were paused and starts there are held); lifting is a record.
 */
export function fromIncident(publicUrl: string, i: Incident, phase: 'opened' | 'resolved', at: number, detail: { resumed?: string[]; held?: string[] } = {}): NotifyEvent {
  const base = publicUrl.replace(/\/+$/, '')
  const target = i.service ? `service ${i.service}` : `experiment ${i.experiment}`
  const numbers = { paused: i.paused.length, resumed: detail.resumed?.length ?? null, held: detail.held?.length ?? null }
  const message = phase === 'opened'
    ? `${pauseReason(i)}; paused: ${i.paused.join(', ') || 'none'}`
    : `alert ${i.alertname} resolved on ${target}; resumed: ${detail.resumed?.join(', ') || 'none'}; left paused: ${detail.held?.join(', ') || 'none'}`
  return {
    id: `in-${i.fingerprint}-${i.startedAt}-${phase}`,
    schema: 'runway.notify/1',
    type: phase === 'opened' ? 'incident_opened' : 'incident_resolved',
    at,
    experimentId: i.experiment,
    // An incident is about a service, not one namespace: '*' subscriptions receive it.
    namespace: '*',
    owner: '',
    onCall: '',
    services: i.service ? [i.service] : [],
    severity: phase === 'opened' ? 'ticket' : 'info',
    summary: `incident ${phase === 'opened' ? 'mode on' : 'lifted'} for ${target} (alert ${i.alertname})${i.summary ? `: ${i.summary}` : ''}`,
    reasons: [{ code: phase === 'opened' ? 'INCIDENT' : 'INCIDENT_RESOLVED', message, numbers }],
    link: i.experiment ? `${base}/experiments/${encodeURIComponent(i.experiment)}` : `${base}/v1/incidents`,
    runbook: '',
    alert: null,
    suppressedBy: null,
  }
}

/** The numbers of a flagged interference row worth a reader's time (the table has them all). */
export interface FlaggedPair {
  runId: string
  other: string
  rows: ReadonlyArray<{ kind: string; metric: string; p_value: number | null; adjusted_p: number | null; delta: number | null; relative: number | null; chi_square: number | null; correlation: number | null; action: string }>
}

/** A health warning for one experiment of a flagged pair (an analytic anomaly: a ticket). */
export function fromInterference(ctx: EventContext, pair: FlaggedPair, at: number): NotifyEvent {
  const s = ctx.spec
  const paused = pair.rows.some((r) => r.action === 'paused')
  const reasons = pair.rows.slice(0, 10).map((r) => ({
    code: 'INTERFERENCE',
    message: `${r.kind}${r.metric ? ` on ${r.metric}` : ''} with ${pair.other}${r.action === 'paused' ? ' (lower priority paused)' : ''}`,
    numbers: { p_value: r.p_value, adjusted_p: r.adjusted_p, delta: r.delta, relative: r.relative, chi_square: r.chi_square, correlation: r.correlation },
  }))
  return {
    id: `hw-${s.id}-INTERFERENCE-${pair.other}-${pair.runId}`,
    schema: 'runway.notify/1',
    type: 'health_warning',
    at,
    experimentId: s.id,
    namespace: s.namespace,
    owner: s.owner,
    onCall: s.onCall,
    services: [...s.services],
    severity: 'ticket',
    summary: `${s.id}: INTERFERENCE with ${pair.other}${paused ? ' (policy paused the lower priority)' : ''}`,
    reasons,
    link: `${ctx.publicUrl.replace(/\/+$/, '')}/experiments/${encodeURIComponent(s.id)}`,
    runbook: s.runbook ?? '',
    alert: null,
    suppressedBy: null,
  }
}
