import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { decide, type DecisionOutcome } from '../decide/decide.js'
import type { MetricMoments, VariantUnits } from '../decide/evidence.js'
import { DEFAULT_MISROUTING_WINDOW_MS, type MisroutingEvidence } from '../decide/misrouting.js'
import { assignmentSqlParams } from '../domain/assignment-sql.js'
import { controlOf, metricsOf } from '../domain/experiment.js'
import { toWarehouseTime } from '../domain/telemetry.js'
import { ENGINE_VERSION, type Verdict } from '../domain/verdict.js'
import { verdictEvidence } from '../decide/verdict-evidence.js'
import { type Bus, TOPICS } from '../ports/bus.js'
import type { ExperimentRecord } from '../domain/experiment-record.js'
import type { Clock } from '../ports/clock.js'
import type { StateStore } from '../ports/state-store.js'
import type { Warehouse } from '../ports/warehouse.js'
import { sqlQuery } from '../sql-files.js'
import { readMetricEvidence } from './metric-evidence.js'
import type { QueueService } from './queue.js'

export interface EvaluateDeps {
  warehouse: Warehouse
  state: StateStore
  bus: Bus
  clock: Clock
  log: Logger
  /** Records a spent group-sequential look on the experiment. */
  queue: Pick<QueueService, 'patch'>
  /** Share of misrouted units that pauses an experiment (default 1%; half of it over the recent window). */
  maxMisroutedShare?: number
  /** The recent misrouting window (default 1h). */
  misroutingWindowMs?: number
}

interface UnitsRow {
  variant: string
  units: number | string
  events: number | string
  last_event_ms: number | string | null
}

export interface Evaluation {
  verdict: Verdict
  outcome: DecisionOutcome
}

/**
 * One evaluation of a running experiment: read sufficient statistics from the
 * warehouse, let the pure decision engine decide, record and publish the verdict.
 */
export class EvaluateService {
  constructor(private readonly d: EvaluateDeps) {}

  async evaluate(experimentId: string): Promise<Evaluation | null> {
    const record = await this.d.state.get(experimentId)
    if (!record || record.state !== 'running') return null
    const now = this.d.clock.now()
    const unitRows = await this.d.warehouse.select<UnitsRow>(sqlQuery('variant-units'), { experiment: experimentId })
    const units: VariantUnits[] = unitRows.map((r) => ({
      variant: r.variant,
      units: Number(r.units),
      events: Number(r.events),
      lastEventMs: r.last_event_ms === null ? null : Number(r.last_event_ms),
    }))
    const metrics: MetricMoments[] = []
    for (const { metric } of metricsOf(record.spec)) {
      metrics.push(await readMetricEvidence(this.d.warehouse, { experiment: experimentId, metric, control: controlOf(record.spec), now }))
    }
    const misrouting = await this.misrouting(record, now)
    const outcome = decide({ record, now, units, metrics, misrouting, ...(this.d.maxMisroutedShare !== undefined ? { maxMisroutedShare: this.d.maxMisroutedShare } : {}) })
    const verdict: Verdict = {
      id: randomUUID(),
      experimentId,
      seq: await this.d.state.nextVerdictSeq(experimentId),
      decision: outcome.decision,
      step: record.step,
      reasons: outcome.reasons,
      window: { from: record.startedAt ?? now, to: now },
      evaluatedAt: now,
      engineVersion: ENGINE_VERSION,
      needsApproval: outcome.needsApproval,
      result: outcome.result,
    }
    await this.d.warehouse.insert(
      'verdicts',
      [
        {
          id: verdict.id,
          experiment_id: experimentId,
          seq: verdict.seq,
          decision: verdict.decision,
          step: verdict.step,
          reasons: JSON.stringify(verdict.reasons),
          window_from: toWarehouseTime(verdict.window.from),
          window_to: toWarehouseTime(verdict.window.to),
          evaluated_at: toWarehouseTime(now),
          engine_version: verdict.engineVersion,
          needs_approval: verdict.needsApproval,
          gst_fraction: outcome.gstFraction,
          evidence: verdictEvidence(outcome),
        },
      ],
      { dedupToken: `verdict/${experimentId}/${verdict.seq}` },
    )
    if (outcome.gstFraction !== null) {
      const fraction = outcome.gstFraction
      await this.d.queue.patch(experimentId, (r) => ({ gstFractions: [...r.gstFractions, fraction] }))
    }
    this.d.log.debug({ experiment: experimentId, seq: verdict.seq, decision: verdict.decision }, 'verdict')
    await this.d.bus.publish(TOPICS.verdicts, experimentId, verdict)
    return { verdict, outcome }
  }

  /**
   * Logged units against the gate's hash, at the highest exposure reached (ramps only add units):
   * since the start and over the recent window, plus dead-lettered telemetry under unknown variants.
   */
  private async misrouting(record: ExperimentRecord, now: number): Promise<MisroutingEvidence> {
    const params = assignmentSqlParams({ ...record.spec, allocation: record.allocation, exposure: record.spec.rollout.steps[record.step]?.exposure ?? 0 })
    type Row = { units: number | string; misrouted: number | string; recent_units: number | string; recent_misrouted: number | string }
    const windowMs = this.d.misroutingWindowMs ?? DEFAULT_MISROUTING_WINDOW_MS
    const [m] = await this.d.warehouse.select<Row>(sqlQuery('misrouting-summary'), { experiment: record.spec.id, since: toWarehouseTime(now - windowMs), ...params } as never)
    // Dead-lettered telemetry under a variant the experiment does not have counts as misrouted.
    const unknown = await this.d.warehouse.select<{ units: number | string; events: number | string; variants: string[] | string }>(sqlQuery('unknown-variant-dead-letters'), { experiment: record.spec.id })
    const variants = unknown[0]?.variants ?? []
    return {
      units: Number(m?.units ?? 0),
      misrouted: Number(m?.misrouted ?? 0),
      unknownVariant: { units: Number(unknown[0]?.units ?? 0), events: Number(unknown[0]?.events ?? 0), variants: typeof variants === 'string' ? (JSON.parse(variants) as string[]) : variants },
      recent: { units: Number(m?.recent_units ?? 0), misrouted: Number(m?.recent_misrouted ?? 0), windowMs },
    }
  }
}
