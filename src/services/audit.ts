import type { ExperimentRecord } from '../domain/experiment-record.js'
import { type LedgerKey, specHash } from '../domain/ledger-chain.js'
import { type LedgerProblem, checkChain } from '../domain/ledger-verify.js'
import { type StateDifference, diffStates } from '../domain/replay-diff.js'
import type { LifecycleEvent } from '../domain/lifecycle.js'
import type { StateStore } from '../ports/state-store.js'
import type { Warehouse } from '../ports/warehouse.js'
import { sqlQuery } from '../sql-files.js'
import { readLedger } from './ledger.js'
import { replayState } from './rebuild.js'

export interface VerifyResult {
  ok: boolean
  /** Experiments whose chain was checked. */
  experiments: number
  /** Ledger entries checked. */
  checked: number
  problems: LedgerProblem[]
  /** Each chain's head as stored: record these elsewhere to detect a consistent rewrite of every table later. */
  heads: Array<{ experimentId: string; seq: number; hash: string }>
}

/**
 * Verifies every experiment's hash chain against the `ledger_heads` copy, the
 * spec in `experiments` and, when given, the live state's heads. Reads only.
 */
export async function verifyLedger(warehouse: Warehouse, live?: readonly ExperimentRecord[], key?: LedgerKey | null): Promise<VerifyResult> {
  const [specs, entries, headRows] = await Promise.all([
    warehouse.select<{ id: string; revision: number | string; spec: string }>(sqlQuery('experiments-latest')),
    readLedger(warehouse),
    warehouse.select<{ experiment_id: string; seq: number | string; hash: string }>(sqlQuery('ledger-heads')),
  ])
  const entriesOf = groupBy(entries, (e) => e.experimentId)
  const headsOf = new Map<string, Map<number, string>>()
  for (const h of headRows) {
    const m = headsOf.get(h.experiment_id) ?? new Map<number, string>()
    m.set(Number(h.seq), h.hash)
    headsOf.set(h.experiment_id, m)
  }
  const specOf = new Map(specs.map((s) => [s.id, { revision: Number(s.revision), specHash: storedSpecHash(s.spec) }]))
  const liveOf = live ? new Map(live.map((r) => [r.spec.id, { ledgerSeq: r.ledgerSeq, ledgerHash: r.ledgerHash }])) : null
  const ids = [...new Set([...specOf.keys(), ...entriesOf.keys(), ...headsOf.keys(), ...(liveOf?.keys() ?? [])])].sort()
  const problems: LedgerProblem[] = []
  const heads: VerifyResult['heads'] = []
  for (const id of ids) {
    const chain = entriesOf.get(id) ?? []
    problems.push(
      ...checkChain({
        experimentId: id,
        entries: chain,
        heads: headsOf.get(id) ?? new Map(),
        spec: specOf.get(id) ?? null,
        key: key ?? null,
        ...(liveOf ? { live: liveOf.get(id) ?? null } : {}),
      }),
    )
    const head = chain.at(-1)
    if (head) heads.push({ experimentId: id, seq: head.seq, hash: head.hash })
  }
  return { ok: problems.length === 0, experiments: ids.length, checked: entries.length, problems, heads }
}

/**
 * Verifies against a running deployment's live state. A transition writes the
 * state first and the ledger right after, so a check that lands in between sees
 * a head that is not there yet; a second look after a pause settles it.
 */
export async function verifyLive(warehouse: Warehouse, state: StateStore, key?: LedgerKey | null, settleMs = 250): Promise<VerifyResult> {
  const first = await verifyLedger(warehouse, await state.list(), key)
  if (first.ok) return first
  await new Promise((resolve) => setTimeout(resolve, settleMs))
  return verifyLedger(warehouse, await state.list(), key)
}

/** Every experiment's state rebuilt from the warehouse alone, by the code that rebuilds state on start. */
export function replayLedger(warehouse: Warehouse): Promise<ExperimentRecord[]> {
  return replayState(warehouse)
}

export interface ReplayComparison {
  ok: boolean
  experiments: number
  differences: StateDifference[]
}

/** Replays the ledger and names every field where the result differs from the live state. */
export async function compareReplay(warehouse: Warehouse, live: readonly ExperimentRecord[]): Promise<ReplayComparison> {
  const replayed = await replayLedger(warehouse)
  const differences = diffStates(live, replayed)
  return { ok: differences.length === 0, experiments: replayed.length, differences }
}

/** The spec as stored, before schema defaults: a changed field counts even where the schema would default it. */
function storedSpecHash(text: string): string {
  try {
    return specHash(JSON.parse(text))
  } catch {
    return 'unparseable'
  }
}

function groupBy(entries: LifecycleEvent[], key: (e: LifecycleEvent) => string): Map<string, LifecycleEvent[]> {
  const out = new Map<string, LifecycleEvent[]>()
  for (const e of entries) {
    const list = out.get(key(e))
    if (list) list.push(e)
    else out.set(key(e), [e])
  }
  return out
}
