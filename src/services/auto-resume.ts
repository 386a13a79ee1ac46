import type { Logger } from 'pino'
import { autoResumeDecision, type TelemetrySince, type UpstreamTelemetry } from '../decide/auto-resume.js'
import type { ExperimentRecord } from '../domain/experiment-record.js'
import type { LifecycleEvent } from '../domain/lifecycle.js'
import { type PolicyConfig, rulesFor } from '../domain/policy-config.js'
import type { Clock } from '../ports/clock.js'
import type { QueryParams, Warehouse } from '../ports/warehouse.js'
import { sqlQuery } from '../sql-files.js'
import { readLedger } from './ledger.js'
import type { PolicyGate } from './policy.js'
import type { QueueService } from './queue.js'

export interface AutoResumeDeps {
  queue: QueueService
  warehouse: Warehouse
  clock: Clock
  log: Logger
  policy: () => PolicyConfig
  /** A resume is checked like a person's (freezes, error budget, exposure caps). */
  gatekeeper?: PolicyGate
}

/**
 * Resumes experiments paused for telemetry once it has been healthy for the namespace's hold
 * time (policy `autoResume`, default on, 15 minutes). The ledger entry names the policy as
 * actor, carries AUTO_RESUMED and says how long telemetry flowed. A paused experiment exposes no
 * units, so when its own telemetry cannot come back the services that sent it are read instead
 * (upstream-services-batch.sql, upstream-telemetry-batch.sql): silent at the pause and healthy again for the hold time. A person's pause, or a pause
 * for harm, SRM or an SLO, is never resumed here (decide/auto-resume.ts).
 */
export class AutoResumeService {
  /** Paused experiments whose pause can never auto-resume (a person's, harm, SRM), by ledger seq: their ledger is not read again each tick. */
  private readonly ineligible = new Map<string, number>()
  /**
   * The pausing entry (the newest) of each paused experiment, by ledger seq: the ledger only grows, so
   * while the seq is unchanged the newest entry is the same and is not read again each tick.
   */
  private readonly pauses = new Map<string, { seq: number; entry: LifecycleEvent | undefined }>()

  constructor(private readonly d: AutoResumeDeps) {}

  /**
   * One tick: every paused experiment is judged, with three queries in all however many are
   * paused (their telemetry since the pause; for those without, their upstream's services, then
   * those services' telemetry), then each that may resume is checked by policy and resumed.
   */
  async run(): Promise<string[]> {
    const candidates: Array<{ record: ExperimentRecord; pause: LifecycleEvent }> = []
    const live = new Set<string>()
    for (const r of await this.d.queue.snapshot()) {
      if (r.state !== 'paused') continue
      live.add(r.spec.id)
      if (this.ineligible.get(r.spec.id) === r.ledgerSeq) continue
      const pause = await this.pauseOf(r)
      const rules = rulesFor(this.d.policy(), r.spec.namespace).autoResume
      const pre = autoResumeDecision({ record: r, pause, telemetry: NO_TELEMETRY, now: this.d.clock.now(), rules })
      if (!pre.resume && (pre.why === 'person-paused' || pre.why === 'not-a-telemetry-pause')) this.ineligible.set(r.spec.id, r.ledgerSeq)
      if (!pre.resume && pre.why !== 'no-telemetry') continue
      candidates.push({ record: r, pause: pause! })
    }
    for (const map of [this.ineligible, this.pauses]) for (const id of map.keys()) if (!live.has(id)) map.delete(id)
    if (candidates.length === 0) return []

    const own = await this.telemetrySince(candidates)
    const silent = candidates.filter((c) => (own.get(c.record.spec.id)?.events ?? 0) === 0)
    // A paused experiment exposes no units: without its own telemetry, look at its services'.
    const upstream = silent.length > 0 ? await this.upstream(silent) : new Map<string, UpstreamTelemetry>()
    const now = this.d.clock.now()
    const resumed: string[] = []
    for (const { record: r, pause } of candidates) {
      const rules = rulesFor(this.d.policy(), r.spec.namespace).autoResume
      const telemetry = own.get(r.spec.id) ?? NO_TELEMETRY
      const decision = autoResumeDecision({ record: r, pause, telemetry, upstream: telemetry.events === 0 ? (upstream.get(r.spec.id) ?? NO_UPSTREAM) : null, now, rules })
      if (!decision.resume) continue
      if (this.d.gatekeeper) {
        const policy = await this.d.gatekeeper.check(r.spec, 'start', r.step)
        if (!policy.allowed) {
          this.d.log.info({ experiment: r.spec.id, rules: policy.failures.map((f) => f.rule) }, 'auto-resume: policy refused')
          await this.d.queue.patch(r.spec.id, (cur) => (cur.state === 'paused' ? { blockedBy: policy.failures } : null))
          continue
        }
      }
      const event = await this.d.queue.apply(r.spec.id, (cur) =>
        cur.state === 'paused' && cur.ledgerSeq === r.ledgerSeq
          ? { request: { to: 'running', actor: { type: 'policy', id: 'auto-resume' }, reason: decision.reason, at: now, codes: decision.codes } }
          : null,
      )
      if (event) resumed.push(r.spec.id)
    }
    return resumed
  }

  /** A sql/queries file with array parameters (both warehouse adapters send arrays as such, as evaluate-batch.ts does). */
  private select<T>(name: string, params: Record<string, unknown>): Promise<T[]> {
    return this.d.warehouse.select<T>(sqlQuery(name), params as QueryParams)
  }

  private async pauseOf(r: ExperimentRecord): Promise<LifecycleEvent | undefined> {
    const cached = this.pauses.get(r.spec.id)
    if (cached?.seq === r.ledgerSeq) return cached.entry
    const entry = (await readLedger(this.d.warehouse, r.spec.id)).at(-1)
    this.pauses.set(r.spec.id, { seq: r.ledgerSeq, entry })
    return entry
  }

  /** Each candidate's own telemetry at or after its pause (telemetry-recent-batch.sql). */
  private async telemetrySince(candidates: ReadonlyArray<{ record: ExperimentRecord; pause: LifecycleEvent }>): Promise<Map<string, TelemetrySince>> {
    type Row = { experiment_id: string; first_event_ms: Num; last_event_ms: Num; events: Num }
    const since = candidates.map((c) => c.pause.at)
    const rows = await this.select<Row>('telemetry-recent-batch', {
      experiments: candidates.map((c) => c.record.spec.id),
      since_ms: since,
      min_since_ms: Math.min(...since),
    })
    return new Map(rows.map((row) => [row.experiment_id, flow(row.events, row.first_event_ms, row.last_event_ms)]))
  }

  /** Each candidate's upstream (the services that sent its telemetry) around its pause. */
  private async upstream(candidates: ReadonlyArray<{ record: ExperimentRecord; pause: LifecycleEvent }>): Promise<Map<string, UpstreamTelemetry>> {
    const experiments = candidates.map((c) => c.record.spec.id)
    const since = candidates.map((c) => c.pause.at)
    const from = candidates.map((c) => c.pause.at - c.record.spec.evaluation.staleAfter)
    const servicesRows = await this.select<{ experiment_id: string; services: string[] | string }>('upstream-services-batch', { experiments, since_ms: since })
    const servicesOf = new Map(servicesRows.map((r) => [r.experiment_id, typeof r.services === 'string' ? (JSON.parse(r.services) as string[]) : r.services]))
    const pairs = [...servicesOf].flatMap(([experiment, services]) => services.map((service) => [experiment, service] as const))
    type Row = { experiment_id: string; last_before_ms: Num; events_before: Num; first_event_ms: Num; last_event_ms: Num; events: Num }
    const rows = pairs.length === 0 ? [] : await this.select<Row>('upstream-telemetry-batch', {
      experiments, since_ms: since, from_ms: from, min_from_ms: Math.min(...from),
      pair_experiments: pairs.map((p) => p[0]), pair_services: pairs.map((p) => p[1]),
    })
    const byExperiment = new Map(rows.map((r) => [r.experiment_id, r]))
    return new Map(candidates.map(({ record }) => {
      const id = record.spec.id
      const row = byExperiment.get(id)
      const before = Number(row?.events_before ?? 0)
      return [id, {
        services: servicesOf.get(id) ?? [],
        lastBeforePauseMs: before > 0 ? Number(row!.last_before_ms) : null,
        since: flow(row?.events ?? 0, row?.first_event_ms ?? null, row?.last_event_ms ?? null),
      }]
    }))
  }
}

type Num = number | string
const NO_TELEMETRY: TelemetrySince = { firstEventMs: null, lastEventMs: null, events: 0 }
const NO_UPSTREAM: UpstreamTelemetry = { services: [], lastBeforePauseMs: null, since: NO_TELEMETRY }

function flow(events: Num, first: Num | null, last: Num | null): TelemetrySince {
  const n = Number(events)
  return { events: n, firstEventMs: n > 0 ? Number(first) : null, lastEventMs: n > 0 ? Number(last) : null }
}

