import type { ExperimentRecord } from '../domain/experiment-record.js'

export type PutResult = { ok: true } | { ok: false; actualVersion: number | null }

/** Live experiment state with compare-and-set writes. */
export interface StateStore {
  get(id: string): Promise<ExperimentRecord | null>
  list(): Promise<ExperimentRecord[]>
  /**
   * Optional: every record as stored, shared and deeply frozen instead of copied, for
   * readers that scan all of them often (scheduler, queue view, gate config): copying
   * 10,000 records takes a quarter of a second on the event loop. Never mutate them.
   */
  snapshot?(): Promise<ReadonlyArray<ExperimentRecord>>
  /** Writes `record` only if the stored version equals `expectedVersion` (null: must not exist). */
  put(record: ExperimentRecord, expectedVersion: number | null): Promise<PutResult>
  /** Removes the record if its version matches (undoing a failed create). */
  remove(id: string, expectedVersion: number): Promise<PutResult>
  /** Next per-experiment verdict sequence number (atomic). */
  nextVerdictSeq(id: string): Promise<number>
  /** Ensures the verdict counter is at least `seq` (after a rebuild). */
  seedVerdictSeq(id: string, seq: number): Promise<void>
}
