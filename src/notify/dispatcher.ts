import type { Logger } from 'pino'
import type { Clock } from '../ports/clock.js'
import type { Outbox, Queued } from './outbox.js'
import type { Sink } from './sink.js'

export interface DispatchOptions {
  /** First retry after this long, doubling up to maxBackoffMs (with jitter). */
  baseBackoffMs: number
  maxBackoffMs: number
  /** Experiments delivered side by side per sink. */
  parallel: number
  random?: () => number
}

interface Lane {
  items: Queued[]
  attempts: number
  nextAt: number
  busy: boolean
}

export interface SinkStats {
  pending: number
  oldestMs: number | null
  delivered: number
  failed: number
  skipped: number
}

/**
 * Delivery per sink and experiment: an experiment's events go out one after another in
 * order, and a failure holds only that experiment's lane (retried with exponential
 * backoff) while other lanes and sinks carry on. Nothing here blocks the caller: `tick`
 * starts deliveries and returns.
 */
export class Dispatcher {
  private readonly lanes = new Map<string, Map<string, Lane>>()
  /** Ids queued or recently delivered per sink, so a rescan does not queue them twice. */
  private readonly seen = new Map<string, Set<string>>()
  readonly stats = new Map<string, SinkStats>()

  constructor(readonly sinks: readonly Sink[], private readonly outbox: Outbox, private readonly clock: Clock, private readonly log: Logger, private readonly o: DispatchOptions) {
    for (const s of sinks) {
      this.lanes.set(s.name, new Map())
      this.seen.set(s.name, new Set())
      this.stats.set(s.name, { pending: 0, oldestMs: null, delivered: 0, failed: 0, skipped: 0 })
    }
  }

  /** Queues events (in order); events a sink does not take are recorded as skipped for it. */
  async add(items: ReadonlyArray<Queued>): Promise<void> {
    for (const sink of this.sinks) {
      const seen = this.seen.get(sink.name)!
      const skipped: Array<{ id: string; attempts: number }> = []
      for (const q of items) {
        if (seen.has(q.event.id)) continue
        seen.add(q.event.id)
        if (!sink.accepts(q.event)) {
          skipped.push({ id: q.event.id, attempts: 0 })
          continue
        }
        const lanes = this.lanes.get(sink.name)!
        let lane = lanes.get(q.event.experimentId)
        if (!lane) lanes.set(q.event.experimentId, (lane = { items: [], attempts: 0, nextAt: 0, busy: false }))
        // Rescans may bring an older event after newer ones: keep the lane in order.
        lane.items.push(q)
        if (lane.items.length > 1 && lane.items[lane.items.length - 2]!.ord > q.ord) lane.items.sort((a, b) => a.ord - b.ord)
      }
      if (skipped.length > 0) {
        this.stats.get(sink.name)!.skipped += skipped.length
        await this.outbox.delivered(`${sink.name}`, skipped).catch((err) => this.log.warn({ err, sink: sink.name }, 'notify: could not record skipped events'))
      }
    }
    this.refreshStats()
  }

  /** Starts a delivery on every lane that is due and idle. */
  tick(): void {
    const now = this.clock.now()
    for (const sink of this.sinks) {
      const lanes = this.lanes.get(sink.name)!
      let busy = [...lanes.values()].filter((l) => l.busy).length
      for (const [experimentId, lane] of lanes) {
        if (busy >= this.o.parallel) break
        if (lane.busy || lane.nextAt > now || lane.items.length === 0) continue
        busy++
        lane.busy = true
        void this.drain(sink, experimentId, lane)
      }
    }
  }

  /** Whether anything is still queued (tests and shutdown wait on it). */
  get idle(): boolean {
    return [...this.lanes.values()].every((m) => [...m.values()].every((l) => l.items.length === 0 && !l.busy))
  }

  private async drain(sink: Sink, experimentId: string, lane: Lane): Promise<void> {
    const stats = this.stats.get(sink.name)!
    try {
      while (lane.items.length > 0) {
        const head = lane.items[0]!
        try {
          await sink.deliver(head.event)
        } catch (err) {
          lane.attempts++
          stats.failed++
          const backoff = Math.min(this.o.maxBackoffMs, this.o.baseBackoffMs * 2 ** (lane.attempts - 1))
          lane.nextAt = this.clock.now() + backoff * (0.5 + (this.o.random ?? Math.random)() / 2)
          this.log.warn({ sink: sink.name, experiment: experimentId, event: head.event.id, attempts: lane.attempts, retryInMs: Math.round(lane.nextAt - this.clock.now()), err: (err as Error).message }, 'notify: delivery failed; will retry')
          return
        }
        // Recorded before the next one goes out: a crash here re-sends this one (at least once), never skips it.
        await this.outbox.delivered(sink.name, [{ id: head.event.id, attempts: lane.attempts + 1 }])
        lane.items.shift()
        lane.attempts = 0
        lane.nextAt = 0
        stats.delivered++
      }
    } catch (err) {
      this.log.error({ err, sink: sink.name, experiment: experimentId }, 'notify: could not record a delivery; will retry')
      lane.nextAt = this.clock.now() + this.o.baseBackoffMs
    } finally {
      lane.busy = false
      if (lane.items.length === 0) this.lanes.get(sink.name)!.delete(experimentId)
      this.refreshStats()
    }
  }

  private refreshStats(): void {
    for (const sink of this.sinks) {
      const s = this.stats.get(sink.name)!
      let pending = 0
      let oldest: number | null = null
      for (const lane of this.lanes.get(sink.name)!.values()) {
        pending += lane.items.length
        const at = lane.items[0]?.event.at
        if (at !== undefined && (oldest === null || at < oldest)) oldest = at
      }
      s.pending = pending
      s.oldestMs = oldest
      // The seen set only needs what a rescan can still return: bounded by dropping the oldest half.
      const seen = this.seen.get(sink.name)!
      if (seen.size > 50_000) for (const id of [...seen].slice(0, 25_000)) seen.delete(id)
    }
  }
}
