import { createHash, randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { decide, type DecisionOutcome } from '../decide/decide.js'
import { toWarehouseTime } from '../domain/telemetry.js'
import { ENGINE_VERSION, type Verdict } from '../domain/verdict.js'
import { verdictEvidence } from '../decide/verdict-evidence.js'
import { type Bus, TOPICS } from '../ports/bus.js'
import type { ExperimentRecord } from '../domain/experiment-record.js'
import type { Clock } from '../ports/clock.js'
import type { StateStore } from '../ports/state-store.js'
import type { Warehouse } from '../ports/warehouse.js'
import { readEvaluationBatch } from './evaluate-batch.js'
import type { IncrementalEvaluationReader } from './evaluate-incremental.js'
import { readInterferenceFlags } from './interference-flags.js'
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

export interface Evaluation {
  verdict: Verdict
  outcome: DecisionOutcome
}

/** The verdicts table's row for one verdict. */
function verdictRow(verdict: Verdict, outcome: DecisionOutcome): Record<string, unknown> {
  return {
    id: verdict.id,
    experiment_id: verdict.experimentId,
    seq: verdict.seq,
    decision: verdict.decision,
    step: verdict.step,
    reasons: JSON.stringify(verdict.reasons),
    window_from: toWarehouseTime(verdict.window.from),
    window_to: toWarehouseTime(verdict.window.to),
    evaluated_at: toWarehouseTime(verdict.evaluatedAt),
    engine_version: verdict.engineVersion,
    needs_approval: verdict.needsApproval,
    gst_fraction: outcome.gstFraction,
    evidence: verdictEvidence(outcome),
  }
}

/**
 * Evaluations of running experiments: read sufficient statistics from the warehouse, let the
 * pure decision engine decide, record and publish the verdicts. One SQL path serves one
 * experiment (CLI, API, tests) and a whole cycle (evaluate-cycle.ts): readEvaluationBatch.
 */
export class EvaluateService {
  constructor(private readonly d: EvaluateDeps) {}

  async evaluate(experimentId: string): Promise<Evaluation | null> {
    const record = await this.d.state.get(experimentId)
    if (!record || record.state !== 'running') return null
    const [evaluation] = await this.evaluateMany([record])
    return evaluation ?? null
  }

  /**
   * Evaluates the given running experiments at one `now`: one batch read (at most nine queries
   * whatever their number) and one read of the latest interference run's flagged pairs (an
   * INTERFERENCE_FLAGGED reason each), decide() for each, one insert of all their verdicts, then each
   * verdict's group-sequential look recorded and the verdict published, in the given order.
   * With `reader` (the evaluate-cycle job's, when RUNWAY_EVAL_INCREMENTAL is on) the reads are its
   * incremental ones (held sums moved by what arrived since its last cycle); without, a full read.
   */
  async evaluateMany(records: readonly ExperimentRecord[], opts: {
    onQuery?: (name: string, ms: number) => void
    reader?: Pick<IncrementalEvaluationReader, 'read'>
  } = {}): Promise<Evaluation[]> {
    if (records.length === 0) return []
    const now = this.d.clock.now()
    const readOpts = {
      now,
      ...(this.d.misroutingWindowMs !== undefined ? { misroutingWindowMs: this.d.misroutingWindowMs } : {}),
      ...(opts.onQuery ? { onQuery: opts.onQuery } : {}),
    }
    const reads = opts.reader ? await opts.reader.read(records, readOpts) : await readEvaluationBatch(this.d.warehouse, records, readOpts)
    const flags = await readInterferenceFlags(this.d.warehouse, records.map((r) => r.spec.id))
    const evaluations: Evaluation[] = []
    for (const record of records) {
      const experimentId = record.spec.id
      const read = reads.get(experimentId)!
      const outcome = decide({ record, now, ...read, ...(this.d.maxMisroutedShare !== undefined ? { maxMisroutedShare: this.d.maxMisroutedShare } : {}) })
      // After the decision's own reasons: a flagged pair is noted, the decision stays the engine's.
      outcome.reasons.push(...(flags.get(experimentId) ?? []))
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
      evaluations.push({ verdict, outcome })
    }
    // One block for the cycle; a retried insert of the same verdicts is stored once.
    const keys = evaluations.map((e) => `${e.verdict.experimentId}/${e.verdict.seq}`)
    const dedupToken = keys.length === 1 ? `verdict/${keys[0]}` : `verdicts/${createHash('sha256').update(keys.join('\n')).digest('hex').slice(0, 32)}`
    await this.d.warehouse.insert('verdicts', evaluations.map((e) => verdictRow(e.verdict, e.outcome)), { dedupToken })
    for (const { verdict, outcome } of evaluations) {
      if (outcome.gstFraction !== null) {
        const fraction = outcome.gstFraction
        await this.d.queue.patch(verdict.experimentId, (r) => ({ gstFractions: [...r.gstFractions, fraction] }))
      }
      this.d.log.debug({ experiment: verdict.experimentId, seq: verdict.seq, decision: verdict.decision }, 'verdict')
      await this.d.bus.publish(TOPICS.verdicts, verdict.experimentId, verdict)
    }
    return evaluations
  }
}
