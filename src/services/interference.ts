import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { assessInterference, type InterferenceRow, type PairInput } from '../domain/interference-assess.js'
import { candidatePairs, lowerPriority, type CandidatePair } from '../domain/interference.js'
import type { ExperimentRecord } from '../domain/experiment-record.js'
import { rulesFor, type PolicyConfig } from '../domain/policy-config.js'
import type { Clock } from '../ports/clock.js'
import type { StateStore } from '../ports/state-store.js'
import type { Warehouse } from '../ports/warehouse.js'
import { sqlQuery } from '../sql-files.js'
import type { QueueService } from './queue.js'
import { readPairs } from './interference-read.js'
import { storedRow, type StoredInterferenceRow } from './interference-rows.js'

export interface InterferenceDeps {
  warehouse: Warehouse
  state: StateStore
  clock: Clock
  log: Logger
  policy: () => PolicyConfig
  /** Pauses the lower-priority experiment of a flagged pair (ledger entry by queue.apply). */
  queue: Pick<QueueService, 'apply'>
  /** Width of the baseline-correlation buckets (default 1 h). */
  bucketSeconds?: number
  /** Level of the always-valid confidence sequences (default 0.05). */
  alpha?: number
  /** Level below which a BH-adjusted (across the run's pairs) χ² p-value flags assignment dependence (default 0.001). */
  assignmentAlpha?: number
  /** Told of every finished run (the /metrics gauges). */
  onRun?: (run: InterferenceRun) => void
}

export interface InterferenceRun {
  runId: string
  evaluatedAt: number
  pairs: number
  rows: StoredInterferenceRow[]
  /** Experiments paused by `pause-lower-priority`. */
  paused: string[]
}

/**
 * The interference job (jobs/interference.yaml): for every pair of running experiments that
 * can share units, read the assignment cross-tab, the four cells of each shared metric and
 * the control series (three queries for all pairs together: services/interference-read.ts); assess them (domain/interference-assess.ts); store the rows in the
 * `interference` table; and act on flagged pairs per the namespaces' policy.
 */
export class InterferenceService {
  constructor(private readonly d: InterferenceDeps) {}

  async run(): Promise<InterferenceRun> {
    const now = this.d.clock.now()
    const runId = randomUUID()
    const pairs = candidatePairs(await this.d.state.list())
    const read = await readPairs(this.d.warehouse, pairs, this.d.bucketSeconds ?? 3600)
    const inputs: PairInput[] = read.map((r, i) => ({ ...r, fdr: this.policyOf(pairs[i]!).fdr }))
    const assessed = assessInterference({
      pairs: inputs,
      ...(this.d.alpha !== undefined ? { alpha: this.d.alpha } : {}),
      ...(this.d.assignmentAlpha !== undefined ? { assignmentAlpha: this.d.assignmentAlpha } : {}),
    })
    const paused = await this.act(pairs, assessed, now)
    const rows = assessed.map((r) => {
      const pair = pairs.find((p) => p.a.spec.id === r.a && p.b.spec.id === r.b)!
      const action = r.status !== 'flagged' ? '' : paused.includes(r.a) || paused.includes(r.b) ? 'paused' : 'flagged'
      return storedRow({ row: r, pair, runId, now, fdr: inputs.find((i) => i.a === r.a && i.b === r.b)!.fdr, action })
    })
    if (rows.length > 0) await this.d.warehouse.insert('interference', rows.map((r) => ({ ...r })), { dedupToken: `interference-${runId}` })
    const result = { runId, evaluatedAt: now, pairs: pairs.length, rows, paused }
    this.d.onRun?.(result)
    return result
  }

  /** The latest run's rows (all pairs, or those of one experiment). */
  async latest(experimentId = ''): Promise<StoredInterferenceRow[]> {
    return this.d.warehouse.select<StoredInterferenceRow>(sqlQuery('interference-latest'), { experiment: experimentId })
  }

  /** The stricter of the two namespaces' policies: the lower FDR, the stronger action. */
  private policyOf(pair: CandidatePair) {
    const cfg = this.d.policy()
    const ra = rulesFor(cfg, pair.a.spec.namespace).interference
    const rb = rulesFor(cfg, pair.b.spec.namespace).interference
    const rank = { flag: 0, 'pause-lower-priority': 1, 'block-start': 2 } as const
    return { fdr: Math.min(ra.fdr, rb.fdr), action: rank[ra.action] >= rank[rb.action] ? ra.action : rb.action }
  }

  /**
   * pause-lower-priority: one pause per flagged pair, on the ledger with the pair and the
   * numbers. (block-start acts when an experiment would start: domain/policy-start.ts.)
   */
  private async act(pairs: CandidatePair[], rows: InterferenceRow[], now: number): Promise<string[]> {
    const paused: string[] = []
    for (const pair of pairs) {
      const flagged = rows.filter((r) => r.a === pair.a.spec.id && r.b === pair.b.spec.id && r.status === 'flagged')
      if (flagged.length === 0 || this.policyOf(pair).action !== 'pause-lower-priority') continue
      const target = lowerPriority(pair.a, pair.b)
      if (paused.includes(target.spec.id)) continue
      const other = target === pair.a ? pair.b : pair.a
      const why = flagged.map(describe).join('; ')
      const reason = `interference with ${other.spec.id}: ${why}`
      const event = await this.d.queue.apply(target.spec.id, (r: ExperimentRecord) => (r.state === 'running'
        ? { request: { to: 'paused', actor: { type: 'policy', id: 'interference' }, reason, at: now, codes: ['INTERFERENCE_FLAGGED'] } }
        : null))
      if (event) {
        paused.push(target.spec.id)
        this.d.log.warn({ experiment: target.spec.id, other: other.spec.id, reason }, 'interference: paused the lower-priority experiment')
      }
    }
    return paused
  }
}

/** One flagged row as text for the ledger: the numbers, not just the verdict. */
export function describe(r: InterferenceRow): string {
  const g = (x: number | null) => (x === null ? 'n/a' : Number(x.toPrecision(4)).toString())
  if (r.kind === 'assignment') return `assignment dependence χ²=${g(r.chiSquare)} df=${r.df ?? 'n/a'} p=${g(r.pValue)} over ${r.units} shared units`
  return `${r.metric} ${r.variantA}×${r.variantB} Δ=${g(r.delta)} [${g(r.ciLow)}, ${g(r.ciHigh)}] adjusted p=${g(r.adjustedP)} over ${r.units} units`
}
