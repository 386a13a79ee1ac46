import type { ExperimentRecord } from '../../domain/experiment-record.js'
import type { PutResult, StateStore } from '../../ports/state-store.js'

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}

/** In-memory state; the embedded runtime rebuilds it from the ledger on start. */
export class MemoryStateStore implements StateStore {
  private readonly records = new Map<string, ExperimentRecord>()
  private readonly verdictSeqs = new Map<string, number>()

  async get(id: string): Promise<ExperimentRecord | null> {
    const r = this.records.get(id)
    return r ? structuredClone(r) : null
  }

  async list(): Promise<ExperimentRecord[]> {
    return [...this.records.values()].map((r) => structuredClone(r))
  }

  /** Stored records are frozen, so sharing them is safe: a reader that tried to change one would throw. */
  async snapshot(): Promise<ReadonlyArray<ExperimentRecord>> {
    return [...this.records.values()]
  }

  async put(record: ExperimentRecord, expectedVersion: number | null): Promise<PutResult> {
    const current = this.records.get(record.spec.id)
    const actual = current ? current.version : null
    if (actual !== expectedVersion) return { ok: false, actualVersion: actual }
    this.records.set(record.spec.id, deepFreeze(structuredClone(record)))
    return { ok: true }
  }

  async remove(id: string, expectedVersion: number): Promise<PutResult> {
    const current = this.records.get(id)
    if (!current || current.version !== expectedVersion) return { ok: false, actualVersion: current ? current.version : null }
    this.records.delete(id)
    return { ok: true }
  }

  async nextVerdictSeq(id: string): Promise<number> {
    const next = (this.verdictSeqs.get(id) ?? 0) + 1
    this.verdictSeqs.set(id, next)
    return next
  }

  async seedVerdictSeq(id: string, seq: number): Promise<void> {
    this.verdictSeqs.set(id, Math.max(seq, this.verdictSeqs.get(id) ?? 0))
  }
}
