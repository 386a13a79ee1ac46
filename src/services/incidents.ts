import type { Logger } from 'pino'
import { type AlertmanagerWebhook, type Incident, alertTarget, autoResumeAllowed, covers, incidentHolds, pauseReason } from '../domain/incident.js'
import type { ExperimentSpec } from '../domain/experiment.js'
import type { Actor } from '../domain/lifecycle.js'
import { type PolicyConfig, rulesFor } from '../domain/policy-config.js'
import type { PolicyFailure } from '../domain/policy.js'
import { toWarehouseTime } from '../domain/telemetry.js'
import type { Clock } from '../ports/clock.js'
import type { Warehouse } from '../ports/warehouse.js'
import { sqlQuery } from '../sql-files.js'
import type { NotifyService } from './notify.js'
import type { QueueService } from './queue.js'

export interface IncidentDeps {
  queue: QueueService
  warehouse: Warehouse
  clock: Clock
  log: Logger
  policy: PolicyConfig
  /** Told when incident mode turns on or is lifted (events incident_opened / incident_resolved). */
  notify?: Pick<NotifyService, 'incident'>
}

export interface AlertOutcome {
  fingerprint: string
  alertname: string
  status: 'firing' | 'resolved' | 'ignored'
  reason?: string
  paused: string[]
  resumed: string[]
}

const SYSTEM: Actor = { type: 'system', id: 'incident' }

/**
 * Incident mode: a firing alert naming a service (or an experiment) pauses what runs on
 * it and holds starts and ramps there (a policy refusal, `incident`); its resolution
 * lifts the hold and resumes what it paused where policy `autoResume` allows, otherwise
 * a person resumes them. Every change is a row in `incidents`; pauses and resumes are on the ledger.
 */
export class IncidentService {
  private readonly byFingerprint = new Map<string, Incident>()
  private version = 0

  constructor(private readonly d: IncidentDeps) {}

  async load(): Promise<void> {
    const rows = await this.d.warehouse.select<Record<string, unknown>>(sqlQuery('incidents-all'))
    for (const r of rows) {
      this.version = Math.max(this.version, Number(r.version))
      this.byFingerprint.set(String(r.fingerprint), {
        fingerprint: String(r.fingerprint), alertname: String(r.alertname), service: String(r.service), experiment: String(r.experiment),
        status: r.status === 'firing' ? 'firing' : 'resolved', startedAt: Number(r.started_ms), resolvedAt: r.resolved_ms === null ? null : Number(r.resolved_ms),
        summary: String(r.summary), paused: (r.paused as string[]) ?? [],
      })
    }
  }

  list(): Incident[] {
    return [...this.byFingerprint.values()].sort((a, b) => Number(b.status === 'firing') - Number(a.status === 'firing') || b.startedAt - a.startedAt)
  }

  open(): Incident[] {
    return this.list().filter((i) => i.status === 'firing')
  }

  /** The policy refusals an open incident puts on a start or ramp of `spec`. */
  holds(spec: Pick<ExperimentSpec, 'id' | 'services'>): PolicyFailure[] {
    return incidentHolds(this.open(), spec)
  }

  async receive(payload: AlertmanagerWebhook): Promise<AlertOutcome[]> {
    const out: AlertOutcome[] = []
    for (const a of payload.alerts) {
      const alertname = a.labels.alertname ?? 'unnamed'
      const target = alertTarget(a)
      if (!target) {
        out.push({ fingerprint: a.fingerprint, alertname, status: 'ignored', reason: 'the alert names no service or experiment label', paused: [], resumed: [] })
        continue
      }
      out.push(a.status === 'firing' ? await this.fire(a.fingerprint, alertname, target, a.annotations.summary ?? a.annotations.description ?? '', a.startsAt) : await this.resolve(a.fingerprint, alertname))
    }
    return out
  }

  private async fire(fingerprint: string, alertname: string, target: { service: string; experiment: string }, summary: string, startsAt: string): Promise<AlertOutcome> {
    const existing = this.byFingerprint.get(fingerprint)
    const now = this.d.clock.now()
    const started = Date.parse(startsAt)
    const incident: Incident = existing?.status === 'firing'
      ? existing
      : { fingerprint, alertname, ...target, status: 'firing', startedAt: Number.isFinite(started) ? Math.min(started, now) : now, resolvedAt: null, summary, paused: [] }
    this.byFingerprint.set(fingerprint, incident)
    const paused = await this.enforce(incident)
    await this.save(incident)
    if (!existing || existing.status !== 'firing') {
      this.d.log.warn({ fingerprint, alertname, ...target, paused }, 'incident mode on')
      this.d.notify?.incident(incident, 'opened')
    }
    return { fingerprint, alertname, status: 'firing', paused, resumed: [] }
  }

  /** Pauses running experiments the incident covers (also run on each scheduling tick, for late starters). */
  async enforce(incident: Incident): Promise<string[]> {
    const paused: string[] = []
    for (const r of await this.d.queue.snapshot()) {
      if (r.state !== 'running' || !covers(incident, r.spec)) continue
      const e = await this.d.queue.apply(r.spec.id, (cur) => (cur.state === 'running' ? { request: { to: 'paused', actor: SYSTEM, reason: pauseReason(incident), at: this.d.clock.now(), codes: ['INCIDENT'] } } : null))
      if (e) paused.push(r.spec.id)
    }
    if (paused.length > 0) {
      incident.paused = [...new Set([...incident.paused, ...paused])]
      await this.save(incident)
    }
    return paused
  }

  async enforceAll(): Promise<void> {
    for (const i of this.open()) await this.enforce(i)
  }

  private async resolve(fingerprint: string, alertname: string): Promise<AlertOutcome> {
    const incident = this.byFingerprint.get(fingerprint)
    if (!incident || incident.status !== 'firing') return { fingerprint, alertname, status: 'resolved', reason: 'no open incident for this alert', paused: [], resumed: [] }
    incident.status = 'resolved'
    incident.resolvedAt = this.d.clock.now()
    await this.save(incident)
    const resumed: string[] = []
    const held: string[] = []
    for (const id of incident.paused) {
      const r = (await this.d.queue.snapshot()).find((x) => x.spec.id === id)
      if (!r || r.state !== 'paused') continue
      // Another open incident still covers it, or policy wants a person: it stays paused.
      if (this.open().some((i) => covers(i, r.spec)) || !autoResumeAllowed(rulesFor(this.d.policy, r.spec.namespace))) {
        held.push(id)
        continue
      }
      const e = await this.d.queue.apply(id, (cur) => (cur.state === 'paused' ? { request: { to: 'running', actor: SYSTEM, reason: `incident resolved: alert ${incident.alertname}; resumed (policy autoResume)`, at: this.d.clock.now(), codes: ['INCIDENT_RESOLVED'] } } : null))
      if (e) resumed.push(id)
    }
    this.d.log.info({ fingerprint, alertname, resumed, held }, 'incident mode off')
    this.d.notify?.incident(incident, 'resolved', { resumed, held })
    return { fingerprint, alertname, status: 'resolved', paused: [], resumed, ...(held.length > 0 ? { reason: `left paused for a person to resume: ${held.join(', ')}` } : {}) }
  }

  private async save(i: Incident): Promise<void> {
    this.version = Math.max(this.version + 1, this.d.clock.now())
    await this.d.warehouse.insert('incidents', [{
      fingerprint: i.fingerprint, version: this.version, alertname: i.alertname, service: i.service, experiment: i.experiment, status: i.status,
      started_at: toWarehouseTime(i.startedAt), resolved_at: i.resolvedAt === null ? null : toWarehouseTime(i.resolvedAt), summary: i.summary, paused: i.paused,
    }])
  }
}
