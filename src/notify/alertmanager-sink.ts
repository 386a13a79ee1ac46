import { type NotifyEvent, alertKey } from '../domain/notify-event.js'
import type { Clock } from '../ports/clock.js'
import { type Sink, postJson } from './sink.js'

/** One alert as Alertmanager's POST /api/v2/alerts takes it. */
export interface PostableAlert {
  labels: Record<string, string>
  annotations: Record<string, string>
  startsAt: string
  endsAt?: string
  generatorURL: string
}

export interface AlertmanagerOptions {
  /** Base URL, e.g. http://127.0.0.1:9093 */
  url: string
  clock: Clock
  timeoutMs: number
  /** A rollback's alert resolves by itself this long after it fired (archiving resolves it sooner). */
  rollbackHoldMs: number
}

/** Labels of the alert an event opens: one alert per experiment and rule (the dedup key). */
export function alertLabels(e: NotifyEvent): Record<string, string> {
  const labels: Record<string, string> = {
    alertname: `runway_${e.alert?.rule ?? e.type}`,
    experiment: e.experimentId,
    namespace: e.namespace,
    severity: e.severity === 'info' ? 'ticket' : e.severity,
    reason: e.reasons[0]?.code ?? e.type,
  }
  if (e.services.length > 0) labels.service = e.services.join(',')
  return labels
}

/**
 * Opens an alert on firing events and closes it (endsAt) on resolving ones. Alertmanager
 * drops an alert that is not re-sent within its resolve_timeout, so open alerts are
 * re-posted by `refresh` (as Prometheus does); they are rebuilt from the outbox after a restart.
 */
export class AlertmanagerSink implements Sink {
  readonly name = 'alertmanager'
  private readonly open = new Map<string, PostableAlert>()

  constructor(private readonly o: AlertmanagerOptions) {}

  accepts(e: NotifyEvent): boolean {
    // A firing alert inside a maintenance window is not raised; its resolution still closes one opened before.
    return e.alert !== null && (e.alert.status === 'resolved' || e.suppressedBy === null)
  }

  /** The alert an event leads to, and how the open set changes once it is posted. */
  private plan(e: NotifyEvent): { alert: PostableAlert | null; commit: () => void } {
    if (!e.alert) return { alert: null, commit: () => {} }
    const key = alertKey(e)
    if (e.alert.status === 'resolved') {
      const was = this.open.get(key)
      const commit = () => void this.open.delete(key)
      if (!was) return { alert: null, commit }
      return { alert: { ...was, endsAt: new Date(Math.max(e.at, Date.parse(was.startsAt))).toISOString() }, commit }
    }
    const alert: PostableAlert = {
      labels: alertLabels(e),
      annotations: { summary: e.summary, link: e.link, event_id: e.id, runbook_url: e.runbook || `${e.link}#runbook` },
      startsAt: new Date(e.at).toISOString(),
      generatorURL: e.link,
    }
    if (e.alert.rule === 'rolled_back') alert.endsAt = new Date(e.at + this.o.rollbackHoldMs).toISOString()
    return { alert, commit: () => void this.open.set(key, alert) }
  }

  /** Replays an already-delivered event into the open set (after a restart). */
  remember(e: NotifyEvent): void {
    this.plan(e).commit()
  }

  async deliver(e: NotifyEvent): Promise<void> {
    const { alert, commit } = this.plan(e)
    if (alert) await this.post([alert])
    commit()
  }

  /** Re-sends every open alert; ones whose own endsAt passed are dropped. */
  async refresh(): Promise<void> {
    const now = this.o.clock.now()
    for (const [k, a] of this.open) if (a.endsAt && Date.parse(a.endsAt) <= now) this.open.delete(k)
    if (this.open.size > 0) await this.post([...this.open.values()])
  }

  get openAlerts(): number {
    return this.open.size
  }

  private post(alerts: PostableAlert[]): Promise<void> {
    return postJson(`${this.o.url.replace(/\/+$/, '')}/api/v2/alerts`, JSON.stringify(alerts), {}, this.o.timeoutMs)
  }
}
