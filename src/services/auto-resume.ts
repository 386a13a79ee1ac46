import type { Logger } from 'pino'
import { autoResumeDecision, type UpstreamTelemetry } from '../decide/auto-resume.js'
import { type PolicyConfig, rulesFor } from '../domain/policy-config.js'
import { toWarehouseTime } from '../domain/telemetry.js'
import type { Clock } from '../ports/clock.js'
import type { Warehouse } from '../ports/warehouse.js'
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
 * (upstream-telemetry.sql): silent at the pause and healthy again for the hold time. A person's pause, or a pause
 * for harm, SRM or an SLO, is never resumed here (decide/auto-resume.ts).
 */
export class AutoResumeService {
  /** Paused experiments whose pause can never auto-resume (a person's, harm, SRM), by ledger seq: their ledger is not read again each tick. */
  private readonly ineligible = new Map<string, number>()

  constructor(private readonly d: AutoResumeDeps) {}

  async run(): Promise<string[]> {
    const resumed: string[] = []
    for (const r of await this.d.queue.snapshot()) {
      if (r.state !== 'paused') {
        this.ineligible.delete(r.spec.id)
        continue
      }
      if (this.ineligible.get(r.spec.id) === r.ledgerSeq) continue
      const pause = (await readLedger(this.d.warehouse, r.spec.id)).at(-1)
      const rules = rulesFor(this.d.policy(), r.spec.namespace).autoResume
      const pre = autoResumeDecision({ record: r, pause, telemetry: { firstEventMs: null, lastEventMs: null, events: 0 }, now: this.d.clock.now(), rules })
      if (!pre.resume && (pre.why === 'person-paused' || pre.why === 'not-a-telemetry-pause')) this.ineligible.set(r.spec.id, r.ledgerSeq)
      if (!pre.resume && pre.why !== 'no-telemetry') continue
      const rows = await this.d.warehouse.select<{ first_event_ms: number | string | null; last_event_ms: number | string | null; events: number | string }>(sqlQuery('telemetry-recent'), {
        experiment: r.spec.id,
        since: toWarehouseTime(pause!.at),
      })
      const row = rows[0]
      const events = Number(row?.events ?? 0)
      const telemetry = { events, firstEventMs: events > 0 ? Number(row!.first_event_ms) : null, lastEventMs: events > 0 ? Number(row!.last_event_ms) : null }
      const now = this.d.clock.now()
      // A paused experiment exposes no units: without its own telemetry, look at its services'.
      const upstream = events === 0 ? await this.upstream(r.spec.id, pause!.at, r.spec.evaluation.staleAfter) : null
      const decision = autoResumeDecision({ record: r, pause, telemetry, upstream, now, rules })
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

  /** The experiment's upstream (the services that sent its telemetry) around the pause. */
  private async upstream(experiment: string, pausedAt: number, staleAfter: number): Promise<UpstreamTelemetry> {
    type Row = { services: string[] | string; last_before_ms: number | string; events_before: number | string; first_event_ms: number | string; last_event_ms: number | string; events: number | string }
    const [row] = await this.d.warehouse.select<Row>(sqlQuery('upstream-telemetry'), { experiment, since: toWarehouseTime(pausedAt), from: toWarehouseTime(pausedAt - staleAfter) })
    const services = row ? (typeof row.services === 'string' ? (JSON.parse(row.services) as string[]) : row.services) : []
    const before = Number(row?.events_before ?? 0)
    const events = Number(row?.events ?? 0)
    return {
      services,
      lastBeforePauseMs: before > 0 ? Number(row!.last_before_ms) : null,
      since: { events, firstEventMs: events > 0 ? Number(row!.first_event_ms) : null, lastEventMs: events > 0 ? Number(row!.last_event_ms) : null },
    }
  }
}
