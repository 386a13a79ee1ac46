import { randomUUID } from 'node:crypto'
import { Batcher, type BatcherOptions, type BatcherStats } from './batcher.js'
import type { TelemetryEvent, TelemetrySink } from './telemetry.js'

export interface ExposureLoggerOptions extends Omit<BatcherOptions<TelemetryEvent>, 'send'> {
  sink: TelemetrySink
  service: string
  /**
   * Exposures of one (experiment, unit, variant) are logged once per this many distinct
   * keys (a bounded set, cleared when full): a hot loop does not flood the pipeline. Default 100,000.
   */
  dedupKeys?: number
}

export interface ExposureStats extends BatcherStats {
  /** Repeats of an exposure already logged (not sent, not a loss). */
  deduplicated: number
}

/**
 * Exposure events — "this unit was shown this variant" — sent as telemetry with
 * metric `exposure` (value 1), so SRM and the misrouting check see who was
 * actually exposed. Batched with a bounded buffer; drops are counted in `stats()`
 * and told to `onDrop`.
 */
export class ExposureLogger {
  private readonly batcher: Batcher<TelemetryEvent>
  private readonly seen = new Set<string>()
  private deduplicated = 0
  private readonly dedupKeys: number

  constructor(private readonly o: ExposureLoggerOptions) {
    this.batcher = new Batcher({ ...o, send: (batch, id) => o.sink(batch, id) })
    this.dedupKeys = o.dedupKeys ?? 100_000
  }

  /** False when the exposure was dropped (buffer full); true when queued or already logged. */
  log(e: { experimentId: string; variant: string; unitId: string; attributes?: Record<string, string>; ts?: number }): boolean {
    const key = `${e.experimentId}\u0000${e.variant}\u0000${e.unitId}`
    if (this.seen.has(key)) {
      this.deduplicated++
      return true
    }
    const ok = this.batcher.push({ eventId: randomUUID(), ts: e.ts ?? Date.now(), experimentId: e.experimentId, variant: e.variant, unitId: e.unitId, service: this.o.service, metric: 'exposure', value: 1, attributes: e.attributes ?? {} })
    // A dropped exposure may be logged again by a later evaluation, so it is not remembered.
    if (ok) {
      if (this.seen.size >= this.dedupKeys) this.seen.clear()
      this.seen.add(key)
    }
    return ok
  }

  stats(): ExposureStats {
    return { ...this.batcher.stats(), deduplicated: this.deduplicated }
  }

  flush(): Promise<void> {
    return this.batcher.flush()
  }

  close(): Promise<void> {
    return this.batcher.close()
  }
}
