import type { ExperimentRecord } from '../../domain/experiment-record.js'
import type { StateStore } from '../../ports/state-store.js'

/**
 * Read-through cache of experiment records for the gate on API replicas: an
 * assignment must not cost a Redis round trip. Entries are dropped by change
 * notifications (Redis pub/sub) and, as a backstop for a missed notification,
 * expire after `maxAgeMs`.
 */
export class CachedReads implements Pick<StateStore, 'get'> {
  private readonly entries = new Map<string, { record: ExperimentRecord | null; at: number }>()

  constructor(
    private readonly inner: Pick<StateStore, 'get'>,
    private readonly maxAgeMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(id: string): Promise<ExperimentRecord | null> {
    const hit = this.entries.get(id)
    if (hit && this.now() - hit.at < this.maxAgeMs) return hit.record
    const record = await this.inner.get(id)
    this.entries.set(id, { record, at: this.now() })
    return record
  }

  invalidate(id: string): void {
    this.entries.delete(id)
  }

  clear(): void {
    this.entries.clear()
  }
}
