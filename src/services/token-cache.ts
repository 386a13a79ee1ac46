/**
 * A map with a size bound and a time-to-live. At the bound the least recently used
 * entry goes, so one cache cannot grow with what callers send; keeping known and
 * unknown token ids in separate instances means a stream of bogus ids only ever
 * evicts other bogus ids.
 */
export class BoundedTtlCache<V> {
  private readonly entries = new Map<string, { value: V; at: number }>()

  constructor(
    private readonly limit: number,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  get(key: string): V | undefined {
    const hit = this.entries.get(key)
    if (!hit) return undefined
    if (this.now() - hit.at >= this.ttlMs) {
      this.entries.delete(key)
      return undefined
    }
    // Re-inserted: Map order is the eviction order.
    this.entries.delete(key)
    this.entries.set(key, hit)
    return hit.value
  }

  /** `at` defaults to now; an answer derived from an older read passes that read's time. */
  set(key: string, value: V, at = this.now()): void {
    this.entries.delete(key)
    if (this.limit <= 0) return
    while (this.entries.size >= this.limit) this.entries.delete(this.entries.keys().next().value!)
    this.entries.set(key, { value, at })
  }

  delete(key: string): void {
    this.entries.delete(key)
  }

  get size(): number {
    return this.entries.size
  }
}

/** A token bucket: `perSecond` takes a second, refilled continuously, at most `perSecond` banked. */
export class RateBudget {
  private tokens: number
  private last: number

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number,
  ) {
    this.tokens = perSecond
    this.last = now()
  }

  take(): boolean {
    const t = this.now()
    this.tokens = Math.min(this.perSecond, this.tokens + ((t - this.last) / 1000) * this.perSecond)
    this.last = t
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}
