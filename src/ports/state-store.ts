import type { ExperimentRecord } from '../domain/experiment-record.js'

export type PutResult = { ok: true } | { ok: false; actualVersion: number | null }

/** Live experiment state with compare-and-set writes. */
export interface StateStore {
  get(id: string): Promise<ExperimentRecord | null>
  list(): Promise<ExperimentRecord[]>
  /** Writes `record` only if the stored version equals `expectedVersion` (null: must not exist). */
  put(record: ExperimentRecord, expectedVersion: number | null): Promise<PutResult>
  /** Removes the record if its version matches (undoing a failed create). */
  remove(id: string, expectedVersion: number): Promise<PutResult>
  /** Next per-experiment verdict sequence number (atomic). */
  nextVerdictSeq(id: string): Promise<number>
  /** Ensures the verdict counter is at least `seq` (after a rebuild). */
  seedVerdictSeq(id: string, seq: number): Promise<void>
}
