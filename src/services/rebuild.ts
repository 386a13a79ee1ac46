import { parseStoredSpec } from '../domain/stored-spec.js'
import { type ExperimentRecord, newRecord, resultOf, revisionGenesis } from '../domain/experiment-record.js'
import { ExperimentResult } from '../domain/verdict.js'
import { isRefusalEntry, refusalOf } from '../domain/refusal.js'
import type { StateStore } from '../ports/state-store.js'
import type { Warehouse } from '../ports/warehouse.js'
import { sqlQuery } from '../sql-files.js'
import { readLedger } from './ledger.js'

/**
 * The state the warehouse describes: the newest spec of each experiment, then
 * its ledger replayed in order. The ledger is the source of truth; the rebuild on
 * start and `runway audit replay` both come through here.
 */
export async function replayState(warehouse: Warehouse): Promise<ExperimentRecord[]> {
  const specs = await warehouse.select<{ id: string; revision: number | string; spec: string; enqueued_ms: number | string }>(sqlQuery('experiments-latest'))
  const ledger = await readLedger(warehouse)
  const seqs = await warehouse.select<{ experiment_id: string; seq: number | string }>(sqlQuery('verdict-seqs'))
  const lastSeq = new Map(seqs.map((s) => [s.experiment_id, Number(s.seq)]))
  const looks = await warehouse.select<{ experiment_id: string; fractions: number[] }>(sqlQuery('gst-looks'))
  const gstFractions = new Map(looks.map((l) => [l.experiment_id, l.fractions.map(Number)]))
  const approvals = await warehouse.select<{ experiment_id: string; verdict_id: string; step: number | string; evaluated_ms: number | string }>(sqlQuery('pending-approvals'))
  const approvalOf = new Map(approvals.map((a) => [a.experiment_id, { verdictId: a.verdict_id, step: Number(a.step), at: Number(a.evaluated_ms) }]))
  const ledgerOf = new Map<string, typeof ledger>()
  for (const e of ledger) ledgerOf.set(e.experimentId, [...(ledgerOf.get(e.experimentId) ?? []), e])
  const records: ExperimentRecord[] = []
  for (const row of specs) {
    const spec = parseStoredSpec(row.spec)
    const enqueuedAt = Number(row.enqueued_ms)
    let r: ExperimentRecord = { ...newRecord(spec, enqueuedAt), ledgerHash: revisionGenesis(spec, Number(row.revision)) }
    const entries = ledgerOf.get(spec.id) ?? []
    for (const e of entries) {
      // A resubmitted (rejected) id starts over from its newest draft → ... entries.
      if (e.from === null || e.from === 'draft') r = { ...newRecord(spec, e.at), ledgerSeq: r.ledgerSeq, enqueuedBy: { ...e.actor } }
      r = {
        ...r,
        state: e.to,
        step: e.step,
        ledgerSeq: e.seq,
        ledgerHash: e.hash,
        version: e.seq,
        allocation: e.allocation,
        startedAt: e.from === 'scheduled' && e.to === 'running' ? e.at : r.startedAt,
        stateSince: e.to === r.state && e.from === r.state ? r.stateSince : e.at,
        // A refusal entry (a held ramp: running → running, same step) does not restart the step's clock.
        stepStartedAt: e.to === 'running' && !isRefusalEntry(e) ? e.at : r.stepStartedAt,
        endedAt: ['completed', 'rolled_back', 'rejected', 'cancelled', 'expired'].includes(e.to) ? e.at : r.endedAt,
        endState: ['completed', 'rolled_back', 'rejected', 'cancelled', 'expired'].includes(e.to) ? e.to : r.endState,
        result: resultOf(e.to, ExperimentResult.safeParse(e.result).data ?? null, r.result),
        // What holds the experiment is the newest refusal since its last move; a move lifts it (as QueueService.apply does live).
        blockedBy: isRefusalEntry(e) ? refusalOf(e) : null,
      }
    }
    // Verdicts may come from outside this process (another evaluator, the bus): the ledger knows which were applied.
    const appliedInLedger = Math.max(0, ...entries.map((x) => x.verdictSeq ?? 0))
    const seq = Math.max(lastSeq.get(spec.id) ?? 0, appliedInLedger)
    r.lastAppliedVerdictSeq = seq
    r.gstFractions = gstFractions.get(spec.id) ?? []
    // A ramp that waits for a person is not a transition: it is restored from its verdict,
    // unless the experiment moved (or a person acted) after the verdict was evaluated.
    const approval = approvalOf.get(spec.id)
    const lastAt = entries.at(-1)?.at ?? 0
    if (approval && r.state === 'running' && approval.step === r.step && approval.at >= lastAt) {
      r.pendingApproval = { verdictId: approval.verdictId, toStep: approval.step + 1 }
    }
    records.push(r)
  }
  return records
}

/** Replaces live state with what the warehouse describes (on start). */
export async function rebuildState(warehouse: Warehouse, state: StateStore): Promise<number> {
  const records = await replayState(warehouse)
  for (const r of records) {
    const existing = await state.get(r.spec.id)
    await state.put(r, existing ? existing.version : null)
    await state.seedVerdictSeq(r.spec.id, r.lastAppliedVerdictSeq)
  }
  return records.length
}
