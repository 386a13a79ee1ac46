import type { Logger } from 'pino'
import { Gauge, Counter, type Registry } from 'prom-client'
import type { RunwayConfig } from '../config.js'
import type { ExperimentSpec } from '../domain/experiment.js'
import { activeFreezes } from '../domain/freeze.js'
import type { LifecycleEvent } from '../domain/lifecycle.js'
import { type EventContext, HEALTH_CODES, type NotifyEvent, fromRefusal, fromTransition, fromVerdict } from '../domain/notify-event.js'
import { type PolicyConfig, rulesFor } from '../domain/policy-config.js'
import type { PolicyFailure } from '../domain/policy.js'
import type { Verdict } from '../domain/verdict.js'
import type { Incident } from '../domain/incident.js'
import { type FlaggedPair, fromIncident, fromInterference } from '../notify/extra-events.js'
import { unqueuedTransitions } from '../notify/ledger-recovery.js'
import { trimOutbox } from '../notify/outbox-retention.js'
import type { InterferenceRun } from './interference.js'
import { AlertmanagerSink } from '../notify/alertmanager-sink.js'
import { Dispatcher } from '../notify/dispatcher.js'
import { Outbox, type Queued } from '../notify/outbox.js'
import type { Sink } from '../notify/sink.js'
import { SlackSink } from '../notify/slack-sink.js'
import { WebhookSink } from '../notify/webhook-sink.js'
import type { Clock } from '../ports/clock.js'
import type { StateStore } from '../ports/state-store.js'
import type { Warehouse } from '../ports/warehouse.js'

export interface NotifyDeps {
  config: RunwayConfig['notify']
  policy: PolicyConfig
  warehouse: Warehouse
  state: Pick<StateStore, 'get'>
  clock: Clock
  log: Logger
  registry?: Registry
  /** Delivery loop period (default 250 ms) and how often the outbox is re-read (default 10 s). */
  tickMs?: number
  rescanMs?: number
  /** How often delivered events past the retention are trimmed (default 1 h). */
  trimMs?: number
}

/**
 * Turns lifecycle transitions, verdicts and policy refusals into events, writes them
 * to the outbox and runs the delivery loop (src/notify). Without any sink configured
 * it does nothing at all, so a deployment without receivers pays no outbox writes.
 */
export class NotifyService {
  readonly outbox: Outbox
  readonly dispatcher: Dispatcher | null
  readonly alertmanager: AlertmanagerSink | null
  private buffer: Queued[] = []
  private flushing: Promise<void> | null = null
  private timers: NodeJS.Timeout[] = []
  /** Dedup of repeated facts (health codes still present, same refusal, same verdict) per experiment. */
  private readonly lastSeen = new Map<string, string>()
  /** Interference pairs flagged by the last run ("a|b"): a pair is told of when it becomes flagged. */
  private flaggedPairs = new Set<string>()

  constructor(private readonly d: NotifyDeps) {
    this.outbox = new Outbox(d.warehouse, d.clock)
    const c = d.config
    const sinks: Sink[] = c.webhookUrls.map((url) => new WebhookSink({ url, secret: c.webhookSecret, clock: d.clock, subscriptions: d.policy.notifications?.subscriptions, timeoutMs: c.timeoutMs }))
    this.alertmanager = c.alertmanagerUrl ? new AlertmanagerSink({ url: c.alertmanagerUrl, clock: d.clock, timeoutMs: c.timeoutMs, rollbackHoldMs: c.rollbackAlertHoldMs }) : null
    if (this.alertmanager) sinks.push(this.alertmanager)
    if (c.slackWebhookUrl) sinks.push(new SlackSink(c.slackWebhookUrl, c.timeoutMs))
    const log = d.log.child({ component: 'notify' })
    this.dispatcher = sinks.length > 0 ? new Dispatcher(sinks, this.outbox, d.clock, log, { baseBackoffMs: c.retryBaseMs, maxBackoffMs: c.retryMaxMs, parallel: 8 }) : null
    if (d.registry && this.dispatcher) this.registerMetrics(d.registry, this.dispatcher)
  }

  get enabled(): boolean {
    return this.dispatcher !== null
  }

  /** Reads what earlier processes left undelivered, then starts the loop. */
  async start(): Promise<void> {
    const dispatcher = this.dispatcher
    if (!dispatcher) return
    if (this.alertmanager) for (const e of await this.outbox.latestAlerts()) this.alertmanager.remember(e)
    await this.recover()
    await this.rescan()
    await this.trim().catch((err) => this.d.log.warn({ err }, 'notify: outbox trim failed'))
    const tick = setInterval(() => dispatcher.tick(), this.d.tickMs ?? 250)
    const rescan = setInterval(() => void this.rescan().catch((err) => this.d.log.warn({ err }, 'notify: outbox rescan failed')), this.d.rescanMs ?? 10_000)
    const refresh = setInterval(() => void this.alertmanager?.refresh().catch((err) => this.d.log.warn({ err: (err as Error).message }, 'notify: alertmanager refresh failed')), 60_000)
    const trim = setInterval(() => void this.trim().catch((err) => this.d.log.warn({ err }, 'notify: outbox trim failed')), this.d.trimMs ?? 3_600_000)
    for (const t of [tick, rescan, refresh, trim]) t.unref()
    this.timers.push(tick, rescan, refresh, trim)
    dispatcher.tick()
  }

  async stop(): Promise<void> {
    for (const t of this.timers.splice(0)) clearInterval(t)
    await this.flush()
  }

  /**
   * Transitions on the ledger whose event never reached the outbox (a kill between the two
   * writes) are queued now, ordered by their ledger time among the experiment's events.
   */
  private async recover(): Promise<void> {
    const lost = await unqueuedTransitions(this.d.warehouse, this.d.clock.now(), this.d.config.retentionMs)
    for (const e of lost) {
      const ctx = await this.context(e.experimentId)
      if (ctx) this.emit([fromTransition(ctx, e)], [e.at * 1000 + (e.seq % 1000)])
    }
    if (lost.length > 0) this.d.log.warn({ events: lost.length }, 'notify: queued transitions that a stopped process had not written to the outbox')
    await this.flush()
  }

  /** Drops delivered events older than RUNWAY_NOTIFY_RETENTION (undelivered ones stay). */
  async trim(): Promise<void> {
    if (!this.dispatcher) return
    await trimOutbox(this.d.warehouse, this.dispatcher.sinks.map((s) => s.name), this.d.clock.now() - this.d.config.retentionMs)
  }

  private async rescan(): Promise<void> {
    if (!this.dispatcher) return
    for (const sink of this.dispatcher.sinks) await this.dispatcher.add(await this.outbox.pending(sink.name, 10_000))
  }

  /** Resolves once everything emitted so far is in the outbox. */
  async flush(): Promise<void> {
    while (this.flushing || this.buffer.length > 0) {
      if (!this.flushing) this.flushing = this.writeBuffer()
      await this.flushing
    }
  }

  private async writeBuffer(): Promise<void> {
    const batch = this.buffer.splice(0)
    try {
      await this.outbox.append(batch)
      await this.dispatcher?.add(batch)
      this.dispatcher?.tick()
    } catch (err) {
      // Kept for the next write: an event is never dropped because the warehouse hiccuped.
      this.buffer.unshift(...batch)
      this.d.log.error({ err, events: batch.length }, 'notify: outbox write failed; retrying')
      await new Promise((r) => setTimeout(r, 500))
    } finally {
      this.flushing = null
    }
  }

  /** Queues events in the order given; they are written together on the next turn. */
  emit(events: ReadonlyArray<NotifyEvent>, ords?: number[]): void {
    if (!this.dispatcher || events.length === 0) return
    events.forEach((event, i) => this.buffer.push({ event: this.suppress(event), ord: ords?.[i] ?? this.outbox.nextOrd() }))
    if (!this.flushing) queueMicrotask(() => void this.flush().catch(() => {}))
  }

  /** Maintenance windows and the namespace's freeze windows suppress paging. */
  private suppress(e: NotifyEvent): NotifyEvent {
    const now = this.d.clock.now()
    const maint = activeFreezes(this.d.policy.notifications?.maintenance ?? [], now)[0] ?? activeFreezes(rulesFor(this.d.policy, e.namespace).freezes, now)[0]
    return maint ? { ...e, suppressedBy: maint.name } : e
  }

  private async context(experimentId: string): Promise<EventContext | null> {
    const r = await this.d.state.get(experimentId)
    return r ? { publicUrl: this.d.config.publicUrl, spec: r.spec } : null
  }

  /** A lifecycle transition (called by the queue once its ledger entry is written). */
  transition(e: LifecycleEvent): void {
    if (!this.dispatcher) return
    const ord = this.outbox.nextOrd()
    void this.context(e.experimentId).then((ctx) => ctx && this.emit([fromTransition(ctx, e)], [ord]), (err) => this.d.log.error({ err }, 'notify: transition event lost'))
  }

  /** A verdict: decisions other than continue, and health warnings the first time they appear. */
  async verdict(v: Verdict): Promise<void> {
    if (!this.dispatcher) return
    const ctx = await this.context(v.experimentId)
    if (!ctx) return
    const codes = [...new Set(v.reasons.map((r) => r.code as string).filter((c) => (HEALTH_CODES as readonly string[]).includes(c)))]
    const before = new Set((this.lastSeen.get(`h/${v.experimentId}`) ?? '').split('|').filter(Boolean))
    this.lastSeen.set(`h/${v.experimentId}`, codes.join('|'))
    const decisionKey = `${v.decision}/${v.step}`
    const repeated = this.lastSeen.get(`v/${v.experimentId}`) === decisionKey
    this.lastSeen.set(`v/${v.experimentId}`, decisionKey)
    const events = fromVerdict(ctx, v).filter((e) => (e.type === 'health_warning' ? !before.has(e.reasons[0]!.code) : !repeated))
    this.emit(events)
  }

  /** A refused start or ramp; the same refusal again is not a new event. */
  async refusal(spec: ExperimentSpec, phase: 'start' | 'ramp', failures: PolicyFailure[]): Promise<void> {
    if (!this.dispatcher || failures.length === 0) return
    const key = failures.map((f) => f.rule).sort().join('+')
    if (this.lastSeen.get(`p/${spec.id}/${phase}`) === key) return
    this.lastSeen.set(`p/${spec.id}/${phase}`, key)
    const now = this.d.clock.now()
    this.emit([fromRefusal({ publicUrl: this.d.config.publicUrl, spec }, phase, failures, now, `${key}-${now}`)])
  }

  /** Events that are not about one experiment's lifecycle come in already built. */
  emitRaw(e: NotifyEvent): void {
    this.emit([e])
  }

  /** Incident mode turned on for a service (or experiment), or lifted. */
  incident(i: Incident, phase: 'opened' | 'resolved', detail: { resumed?: string[]; held?: string[] } = {}): void {
    if (!this.dispatcher) return
    this.emit([fromIncident(this.d.config.publicUrl, i, phase, this.d.clock.now(), detail)])
  }

  /**
   * An interference run: each pair that became flagged is a health warning to both of its
   * experiments (the run repeats every interval, so a pair still flagged is not told again;
   * one that clears and is flagged later is).
   */
  async interference(run: Pick<InterferenceRun, 'runId' | 'evaluatedAt' | 'rows'>): Promise<void> {
    if (!this.dispatcher) return
    const flagged = new Map<string, FlaggedPair['rows'][number][]>()
    for (const r of run.rows) {
      if (r.status !== 'flagged') continue
      const key = `${r.experiment_a}|${r.experiment_b}`
      flagged.set(key, [...(flagged.get(key) ?? []), r])
    }
    const before = this.flaggedPairs
    this.flaggedPairs = new Set(flagged.keys())
    for (const [key, rows] of flagged) {
      if (before.has(key)) continue
      const [a, b] = key.split('|') as [string, string]
      for (const [self, other] of [[a, b], [b, a]] as const) {
        const ctx = await this.context(self)
        if (ctx) this.emit([fromInterference(ctx, { runId: run.runId, other, rows }, run.evaluatedAt)])
      }
    }
  }

  private registerMetrics(registry: Registry, dispatcher: Dispatcher): void {
    const stats = dispatcher.stats
    const clock = this.d.clock
    new Gauge({ name: 'runway_notify_outbox_pending', help: 'Events in the outbox not yet delivered, per sink', labelNames: ['sink'] as const, registers: [registry], collect() {
      for (const [sink, s] of stats) this.set({ sink }, s.pending)
    } })
    new Gauge({ name: 'runway_notify_oldest_pending_seconds', help: 'Age of the oldest undelivered event, per sink (0 when none)', labelNames: ['sink'] as const, registers: [registry], collect() {
      for (const [sink, s] of stats) this.set({ sink }, s.oldestMs === null ? 0 : Math.max(0, clock.now() - s.oldestMs) / 1000)
    } })
    new Counter({ name: 'runway_notify_deliveries_total', help: 'Delivery attempts per sink and outcome (delivered, failed, skipped by subscription)', labelNames: ['sink', 'outcome'] as const, registers: [registry], collect() {
      this.reset()
      for (const [sink, s] of stats) {
        this.inc({ sink, outcome: 'delivered' }, s.delivered)
        this.inc({ sink, outcome: 'failed' }, s.failed)
        this.inc({ sink, outcome: 'skipped' }, s.skipped)
      }
    } })
  }
}
