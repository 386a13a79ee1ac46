import type { LifecycleEvent } from '../domain/lifecycle.js'
import { isRefusalEntry } from '../domain/refusal.js'
import type { Warehouse } from '../ports/warehouse.js'
import { readLedger } from '../services/ledger.js'
import { sqlQuery } from '../sql-files.js'

/**
 * The window between a committed ledger entry and its outbox row: a process killed there
 * leaves a transition nobody is told about. On start the ledger is compared with the
 * outbox and what is missing is returned, to be queued again (same event id, so a receiver
 * that did get it can drop it).
 *
 * Bounds: entries older than the retention are not looked at (their rows may have been
 * trimmed), nor entries older than the outbox's first event (notifications were off then,
 * and turning them on must not replay history). An empty outbox recovers nothing.
 */
export async function unqueuedTransitions(warehouse: Warehouse, now: number, retentionMs: number): Promise<LifecycleEvent[]> {
  const [span] = await warehouse.select<{ n: number | string; first_ms: number | string }>(sqlQuery('outbox-span'))
  if (!span || Number(span.n) === 0) return []
  const from = Math.max(Number(span.first_ms), now - retentionMs)
  const missing = await warehouse.select<{ experiment_id: string; seq: number | string }>(sqlQuery('outbox-unqueued-ledger'), { from })
  const byExperiment = new Map<string, Set<number>>()
  for (const m of missing) {
    let seqs = byExperiment.get(m.experiment_id)
    if (!seqs) byExperiment.set(m.experiment_id, (seqs = new Set()))
    seqs.add(Number(m.seq))
  }
  const out: LifecycleEvent[] = []
  for (const [experimentId, seqs] of byExperiment) {
    // Refusal entries (a start refused, a ramp held) are never notified, so none is missing.
    for (const e of await readLedger(warehouse, experimentId)) if (seqs.has(e.seq) && !isRefusalEntry(e)) out.push(e)
  }
  return out
}
