import type { ExperimentRecord } from './experiment-record.js'
import { canonicalJson } from './ledger-chain.js'

/**
 * Record fields that are not lifecycle state, so a replay of the ledger cannot
 * (and need not) reproduce them. Every other field — including ones added later —
 * must come out of the replay exactly as it is live.
 */
export const NOT_FROM_LEDGER: Readonly<Record<string, string>> = {
  version: 'a write counter of the state store (patches bump it too); the rebuild restarts it at the ledger seq',
  lastAppliedVerdictSeq: 'also advanced by verdicts that were skipped without a transition; rebuilt from the verdicts table',
  gstFractions: 'group-sequential looks spent, rebuilt from the verdicts table',
  pendingApproval: 'a ramp waiting for a human is a mark on the record, not a ledger entry',
  blockedBy:
    'rebuilt from the newest refusal entry since the last move, but live it also changes without an entry (newer figures under the same rules, a hold or a start refusal lifted without a move); the next scheduler tick or verdict sets it again',
}

export interface StateDifference {
  experimentId: string
  /** A record field, or `record` when the experiment exists on one side only. */
  field: string
  live: unknown
  replayed: unknown
}

/** Names every field where the replayed state differs from the live one. */
export function diffStates(live: readonly ExperimentRecord[], replayed: readonly ExperimentRecord[]): StateDifference[] {
  const liveById = new Map(live.map((r) => [r.spec.id, r]))
  const replayedById = new Map(replayed.map((r) => [r.spec.id, r]))
  const ids = [...new Set([...liveById.keys(), ...replayedById.keys()])].sort()
  const out: StateDifference[] = []
  for (const id of ids) {
    const a = liveById.get(id)
    const b = replayedById.get(id)
    if (!a || !b) {
      out.push({ experimentId: id, field: 'record', live: a ? a.state : null, replayed: b ? b.state : null })
      continue
    }
    const fields = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((f) => !(f in NOT_FROM_LEDGER)).sort()
    for (const f of fields) {
      const x = (a as unknown as Record<string, unknown>)[f]
      const y = (b as unknown as Record<string, unknown>)[f]
      if (canonicalJson(x ?? null) !== canonicalJson(y ?? null)) out.push({ experimentId: id, field: f, live: x ?? null, replayed: y ?? null })
    }
  }
  return out
}
