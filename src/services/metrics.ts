import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { pairSummaries } from './interference-rows.js'
import type { Clock } from '../ports/clock.js'
import type { StateStore } from '../ports/state-store.js'

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/**
 * The queue's own SLIs, on a Prometheus registry. Counters and histograms are
 * observed where things happen; ratios over experiments (failure rate, rollbacks
 * per 100, evaluation lag) are computed from live state at scrape time.
 */
export class RunwayMetrics {
  readonly registry = new Registry()
  private readonly lastEvaluated = new Map<string, number>()
  readonly enqueueSeconds = new Histogram({ name: 'runway_enqueue_seconds', help: 'Enqueue request latency (validation, policy, spec and ledger writes)', buckets: LATENCY_BUCKETS, registers: [this.registry] })
  readonly gateEnforcementSeconds = new Histogram({ name: 'runway_gate_enforcement_seconds', help: 'Pause or rollback verdict evaluated → gate state updated by the controller', buckets: LATENCY_BUCKETS, registers: [this.registry] })
  readonly evaluationSeconds = new Histogram({ name: 'runway_sli_compute_seconds', help: 'One evaluation cycle (the evaluate-cycle job): the due experiments\' sufficient statistics from the warehouse in one batch, their tests and verdicts', buckets: LATENCY_BUCKETS, registers: [this.registry] })
  readonly sliQuerySeconds = new Histogram({ name: 'runway_sli_query_seconds', help: 'One SLI series read (GET /v1/experiments/:id/slis) from the per-minute projection; minutes are written with their events, so this is the ingest-to-visible time after the insert returns', buckets: LATENCY_BUCKETS, registers: [this.registry] })
  readonly telemetryEvents = new Counter({ name: 'runway_telemetry_events_total', help: 'Telemetry events by outcome: accepted (attached to a known experiment and variant) or dead_lettered', labelNames: ['source', 'outcome'] as const, registers: [this.registry] })
  readonly transitions = new Counter({ name: 'runway_transitions_total', help: 'Lifecycle transitions by target state and whether their ledger entry was written', labelNames: ['to', 'ledger'] as const, registers: [this.registry] })
  readonly interferencePairs = new Gauge({ name: 'runway_interference_pairs', help: 'Pairs of running experiments that can share units, by status of the last interference run (flagged, clear, insufficient)', labelNames: ['status'] as const, registers: [this.registry] })
  readonly interferenceIndexMax = new Gauge({ name: 'runway_interference_index_max', help: 'Largest interaction |Δ|/SE over all pairs and metrics in the last interference run', registers: [this.registry] })
  readonly verdicts = new Counter({ name: 'runway_verdicts_total', help: 'Verdicts by decision and by what the controller did', labelNames: ['decision', 'outcome'] as const, registers: [this.registry] })

  constructor(state: Pick<StateStore, 'list'>, clock: Clock, options: { defaultMetrics?: boolean; journal?: { readonly pendingEntries: number } } = {}) {
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'runway_process_' })
    const self = this
    const ratio = (num: number, den: number) => (den > 0 ? num / den : 0)
    /** Sum of a counter's samples whose `label` equals `value`. */
    const total = async (counter: Counter<string>, label: string, value: string) =>
      (await counter.get()).values.filter((x) => x.labels[label] === value).reduce((s, x) => s + x.value, 0)
    const computed = (name: string, help: string, compute: () => Promise<number>) =>
      new Gauge({ name, help, registers: [this.registry], async collect() { this.set(await compute()) } })
    computed('runway_telemetry_attach_rate', 'Share of telemetry events attached to a known experiment and variant (accepted / all)', async () => {
      const ok = await total(self.telemetryEvents, 'outcome', 'accepted')
      return ratio(ok, ok + (await total(self.telemetryEvents, 'outcome', 'dead_lettered')))
    })
    computed('runway_dead_letter_rate', 'Share of telemetry events dead-lettered', async () => {
      const dead = await total(self.telemetryEvents, 'outcome', 'dead_lettered')
      return ratio(dead, dead + (await total(self.telemetryEvents, 'outcome', 'accepted')))
    })
    computed('runway_audit_completeness', 'Share of transitions whose ledger entry was written (1 = every action is on the ledger)', async () => {
      const written = await total(self.transitions, 'ledger', 'written')
      const failed = await total(self.transitions, 'ledger', 'failed')
      return written + failed === 0 ? 1 : ratio(written, written + failed)
    })
    const fromState = async () => {
      const records = await state.list()
      const started = records.filter((r) => r.startedAt !== null)
      const ended = records.filter((r) => r.endState !== null && r.startedAt !== null)
      const failed = ended.filter((r) => r.endState === 'rolled_back' || r.endState === 'expired')
      const now = clock.now()
      const lags = records.filter((r) => r.state === 'running').map((r) => (now - (self.lastEvaluated.get(r.spec.id) ?? r.stepStartedAt ?? now)) / 1000)
      return { started, ended, failed, lags, records }
    }
    computed('runway_experiment_failure_rate', 'Share of ended experiments that were rolled back or expired', async () => {
      const s = await fromState()
      return ratio(s.failed.length, s.ended.length)
    })
    computed('runway_rollbacks_per_100_experiments', 'Rollbacks per 100 started experiments', async () => {
      const s = await fromState()
      return 100 * ratio(s.records.filter((r) => r.endState === 'rolled_back').length, s.started.length)
    })
    computed('runway_evaluation_lag_seconds', 'Longest time since a running experiment was last evaluated', async () => {
      const { lags } = await fromState()
      return lags.length === 0 ? 0 : Math.max(...lags)
    })
    if (options.journal) {
      const journal = options.journal
      computed('runway_ledger_journal_pending', 'Ledger writes acknowledged (durable in the local journal) and not yet written to the warehouse', async () => journal.pendingEntries)
    }
    new Gauge({ name: 'runway_experiments', help: 'Experiments by lifecycle state', labelNames: ['state'] as const, registers: [this.registry], async collect() {
      this.reset()
      for (const r of (await fromState()).records) this.inc({ state: r.state })
    } })
  }

  /** The last interference run's pairs by status, and its largest interaction index. */
  interferenceRun(run: { rows: Parameters<typeof pairSummaries>[0] }): void {
    const pairs = pairSummaries(run.rows)
    this.interferencePairs.reset()
    for (const status of ['flagged', 'clear', 'insufficient'] as const) this.interferencePairs.set({ status }, pairs.filter((p) => p.status === status).length)
    this.interferenceIndexMax.set(pairs.reduce((m, p) => Math.max(m, p.index), 0))
  }

  evaluated(experimentId: string, at: number): void {
    this.lastEvaluated.set(experimentId, at)
  }
}
