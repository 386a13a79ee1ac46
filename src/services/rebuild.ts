import { ExperimentSpecSchema } from '../domain/experiment.js'
import { type ExperimentRecord, newRecord } from '../domain/experiment-record.js'
import type { StateStore } from '../ports/state-store.js'
import type { Warehouse } from '../ports/warehouse.js'
import { sqlQuery } from '../sql-files.js'
import { readLedger } from './ledger.js'

/**
 * Rebuilds live state from the warehouse: the newest spec of each experiment,
 * then its ledger replayed in order. The ledger is the source of truth.
 */
export async function rebuildState(warehouse: Warehouse, state: StateStore): Promise<number> {
  const specs = await warehouse.select<{ id: string; spec: string; enqueued_ms: number | string }>(sqlQuery('experiments-latest'))
  const ledger = await readLedger(warehouse)
  const seqs = await warehouse.select<{ experiment_id: string; seq: number | string }>(sqlQuery('verdict-seqs'))
  const lastSeq = new Map(seqs.map((s) => [s.experiment_id, Number(s.seq)]))
  const looks = await warehouse.select<{ experiment_id: string; fractions: number[] }>(sqlQuery('gst-looks'))
  const gstFractions = new Map(looks.map((l) => [l.experiment_id, l.fractions.map(Number)]))
  const ledgerOf = new Map<string, typeof ledger>()
  for (const e of ledger) ledgerOf.set(e.experimentId, [...(ledgerOf.get(e.experimentId) ?? []), e])
  let count = 0
  for (const row of specs) {
    const spec = ExperimentSpecSchema.parse(JSON.parse(row.spec))
    const enqueuedAt = Number(row.enqueued_ms)
    let r: ExperimentRecord = newRecord(spec, enqueuedAt)
    const entries = ledgerOf.get(spec.id) ?? []
    for (const e of entries) {
      // A resubmitted (rejected) id starts over from its newest draft → ... entries.
      if (e.from === null || e.from === 'draft') r = { ...newRecord(spec, e.at), ledgerSeq: r.ledgerSeq }
      r = {
        ...r,
        state: e.to,
        step: e.step,
        ledgerSeq: e.seq,
        version: e.seq,
        allocation: e.allocation,
        startedAt: e.from === 'scheduled' && e.to === 'running' ? e.at : r.startedAt,
        stepStartedAt: e.to === 'running' ? e.at : r.stepStartedAt,
        endedAt: ['completed', 'rolled_back', 'rejected', 'cancelled', 'expired'].includes(e.to) ? e.at : r.endedAt,
      }
    }
    // Verdicts may come from outside this process (another evaluator, the bus): the ledger knows which were applied.
    const appliedInLedger = Math.max(0, ...entries.map((x) => x.verdictSeq ?? 0))
    const seq = Math.max(lastSeq.get(spec.id) ?? 0, appliedInLedger)
    r.lastAppliedVerdictSeq = seq
    r.gstFractions = gstFractions.get(spec.id) ?? []
    const existing = await state.get(spec.id)
    await state.put(r, existing ? existing.version : null)
    await state.seedVerdictSeq(spec.id, seq)
    count++
  }
  return count
}
