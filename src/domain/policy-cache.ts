import type { ExperimentRecord } from './experiment-record.js'
import type { PolicyOutcome } from './policy.js'

/**
 * Start-policy outcomes per experiment, kept between scheduling ticks. An entry is
 * used only while the key of what the rules read (StartSnapshot.key: the spec, the
 * namespace's rules and SLOs, the freezes in force, the layer's capacity, the quota
 * counts, the burn counts) is unchanged, so a change of any of them recomputes the
 * outcome; nothing has to remember to invalidate it.
 */
const MAX_INTERNED = 10_000

export class PolicyCache {
  private readonly outcomes = new Map<string, { key: string; outcome: PolicyOutcome }>()
  /** Spec tokens by experiment, valid for one stored version of its record. */
  private readonly specs = new Map<string, { version: number; ledgerHash: string; enqueuedAt: number; json: string; token: string }>()
  private readonly interned = new Map<string, string>()
  private nextToken = 0
  hits = 0
  misses = 0

  /**
   * A short token standing for the record's spec: a new one whenever the spec's
   * content changes. Serializing 10,000 specs each tick costs more than the rest of
   * the tick, so the spec is serialized again only when the record's identity changes:
   * its CAS version (bumped by every write), chain head (derived from the spec's hash
   * at each revision) and enqueue time, which a removed-and-recreated record also changes.
   */
  specToken(record: ExperimentRecord): string {
    const { version, ledgerHash, enqueuedAt } = record
    const hit = this.specs.get(record.spec.id)
    if (hit && hit.version === version && hit.ledgerHash === ledgerHash && hit.enqueuedAt === enqueuedAt) return hit.token
    const json = JSON.stringify(record.spec)
    const token = hit && hit.json === json ? hit.token : `s${this.nextToken++}`
    this.specs.set(record.spec.id, { version, ledgerHash, enqueuedAt, json, token })
    return token
  }

  /** A short token for a long string (a namespace's rules and freezes in force); equal strings, equal tokens. */
  intern(s: string): string {
    let token = this.interned.get(s)
    if (token === undefined) {
      // Each change of the freezes in force or of the rules adds one; bounded all the same.
      if (this.interned.size >= MAX_INTERNED) this.clear()
      this.interned.set(s, (token = `r${this.nextToken++}`))
    }
    return token
  }

  /** Drops everything (outcomes keyed by dropped tokens could never be hit again). */
  clear(): void {
    this.outcomes.clear()
    this.specs.clear()
    this.interned.clear()
  }

  /** The cached outcome for `key`, or `compute()`'s (then cached). */
  outcome(id: string, key: string, compute: () => PolicyOutcome): PolicyOutcome {
    const hit = this.outcomes.get(id)
    if (hit && hit.key === key) {
      this.hits++
      return hit.outcome
    }
    this.misses++
    const outcome = compute()
    this.outcomes.set(id, { key, outcome })
    return outcome
  }

  /** Forgets experiments no longer asked about (started, cancelled, gone). */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.outcomes.keys()) if (!ids.has(id)) this.outcomes.delete(id)
    for (const id of this.specs.keys()) if (!ids.has(id)) this.specs.delete(id)
  }

  get size(): number {
    return this.outcomes.size
  }
}
