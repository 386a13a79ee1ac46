import type { Logger } from 'pino'
import type { ExperimentRecord } from '../domain/experiment-record.js'
import type { Clock } from '../ports/clock.js'
import type { StateStore } from '../ports/state-store.js'
import type { QueryParams, Warehouse } from '../ports/warehouse.js'
import { sqlQuery } from '../sql-files.js'
import type { Evaluation, EvaluateService } from './evaluate.js'
import type { IncrementalEvaluationReader } from './evaluate-incremental.js'

/** The one schedule of the evaluate-cycle job (jobs/evaluate-cycle.yaml). */
export const EVALUATE_CYCLE_SCHEDULE = 'evaluate-cycle'

/** Schedules of the per-experiment job this one replaced (`evaluate-<experiment id>`, job 'evaluate-experiment'). */
export const isLegacyEvaluationSchedule = (id: string) => id.startsWith('evaluate-') && id !== EVALUATE_CYCLE_SCHEDULE

export interface CycleResult {
  /** The cycle's `now`: every verdict of the cycle is evaluated at it. */
  at: number
  /** Running experiments that were due, in evaluation order. */
  due: string[]
  evaluations: Evaluation[]
  ms: number
}

export interface EvaluateCycleDeps {
  evaluator: Pick<EvaluateService, 'evaluateMany'>
  state: StateStore
  warehouse: Warehouse
  clock: Clock
  log: Logger
  /** Told each evaluated experiment and its verdict time (evaluation lag metric). */
  onEvaluated?: (experimentId: string, at: number) => void
  /**
   * Set (RUNWAY_EVAL_INCREMENTAL=1; off by default): the cycle's reads keep their sums between cycles and
   * read only what arrived since (src/services/evaluate-incremental.ts); unset: a full read each cycle.
   */
  incremental?: Pick<IncrementalEvaluationReader, 'read' | 'retain'>
}

/**
 * One evaluation cycle per tick for every running experiment that is due: an experiment is due
 * once its interval has passed since it was last evaluated, or since it entered `running`
 * (start or resume; a ramp keeps the cadence). All due experiments are read together with one
 * readEvaluationBatch call, so a cycle's cost follows the data it scans, not experiments ×
 * queries, and 100 timers no longer fire together (issue 16 items 3-4).
 *
 * Last-evaluation times live in this process, read from the verdicts table for an experiment
 * the first time it looks due here (one query, only on a tick that has such experiments): a
 * restarted worker does not evaluate again what was just evaluated. Several worker processes
 * each keep their own times, so each would evaluate on its own cadence: run one cycle worker.
 */
export class EvaluateCycle {
  private running: { since: number } | null = null
  private readonly last = new Map<string, number>()

  constructor(private readonly d: EvaluateCycleDeps) {}

  private dueAt(r: ExperimentRecord): number {
    return Math.max(this.last.get(r.spec.id) ?? Number.NEGATIVE_INFINITY, r.stateSince) + r.spec.evaluation.interval
  }

  /** Runs one cycle; null when the previous one is still running (this tick is skipped) or nothing was due. */
  async run(): Promise<CycleResult | null> {
    if (this.running) {
      // A cycle longer than the tick: the next tick after it ends picks up what became due meanwhile.
      this.d.log.debug({ runningForMs: this.d.clock.now() - this.running.since }, 'evaluate-cycle: previous cycle still running, tick skipped')
      return null
    }
    const at = this.d.clock.now()
    const started = performance.now()
    this.running = { since: at }
    try {
      // An idle tick (nothing due) is one pass over the records: it runs every second.
      const all = this.d.state.snapshot ? await this.d.state.snapshot() : await this.d.state.list()
      let due: ExperimentRecord[] = []
      for (const r of all) if (r.state === 'running' && this.dueAt(r) <= at) due.push(r)
      if (due.length === 0) return null
      const live = new Set(all.filter((r) => r.state === 'running').map((r) => r.spec.id))
      for (const id of this.last.keys()) if (!live.has(id)) this.last.delete(id)
      // Sums held for an experiment that left running are dropped: it is read in full if it runs again.
      this.d.incremental?.retain(live)
      // Only experiments this process has not evaluated yet: a query per cycle would cost the
      // embedded engine as much as a metric kind (another worker's evaluations are not seen then).
      const unseen = due.filter((r) => !this.last.has(r.spec.id)).map((r) => r.spec.id)
      if (unseen.length > 0) await this.refresh(unseen)
      due = due.filter((r) => this.dueAt(r) <= at)
      if (due.length === 0) return null
      // Marked before the read: a failed cycle waits an interval (as a failed per-experiment run did), not one tick.
      for (const r of due) this.last.set(r.spec.id, at)
      const evaluations = await this.d.evaluator.evaluateMany(due, this.d.incremental ? { reader: this.d.incremental } : {})
      for (const e of evaluations) this.d.onEvaluated?.(e.verdict.experimentId, e.verdict.evaluatedAt)
      const result = { at, due: due.map((r) => r.spec.id), evaluations, ms: performance.now() - started }
      this.d.log.debug({ experiments: result.due.length, ms: Math.round(result.ms) }, 'evaluate-cycle')
      return result
    } finally {
      this.running = null
    }
  }

  /** Newest verdict times from the warehouse (another process's evaluations, or this one's before a restart). */
  private async refresh(ids: string[]): Promise<void> {
    const rows = await this.d.warehouse.select<{ experiment_id: string; evaluated_ms: number | string }>(sqlQuery('verdicts-last-evaluated'), { experiments: ids } as unknown as QueryParams)
    for (const r of rows) {
      const ms = Number(r.evaluated_ms)
      if (ms > (this.last.get(r.experiment_id) ?? Number.NEGATIVE_INFINITY)) this.last.set(r.experiment_id, ms)
    }
  }
}
