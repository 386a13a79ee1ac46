import type { ExperimentSpec } from '../domain/experiment.js'
import type { Allocation } from '../domain/experiment-record.js'
import { type LifecycleEvent, LifecycleEventSchema, type LifecycleState } from '../domain/lifecycle.js'
import type { PolicyFailure } from '../domain/policy.js'
import { toWarehouseTime } from '../domain/telemetry.js'
import type { Warehouse } from '../ports/warehouse.js'
import { sqlQuery } from '../sql-files.js'

interface LedgerRow {
  experiment_id: string
  seq: number
  at_ms: number
  from_state: string
  to_state: string
  step: number
  exposure: number
  actor_type: string
  actor_id: string
  reason: string
  verdict_id: string
  verdict_seq: number | string
  alloc_start: number | null
  alloc_size: number | null
  prev_hash: string
  hash: string
  codes?: string[] | null
  result?: string | null
  blocked_by?: string | null
}

/**
 * Appends one transition; retried with the same (experiment, seq) it is stored once.
 * The chain head is recorded in `ledger_heads` as well, so the verifier has a copy
 * of every hash outside the ledger table (see services/audit.ts). The first entry
 * of a revision also stores its spec in `experiments`. The writes are issued
 * together: the embedded journal commits them in one write, a server in parallel.
 */
export async function appendLedger(warehouse: Warehouse, e: LifecycleEvent, enqueued?: { spec: ExperimentSpec; revision: number }): Promise<void> {
  const writes: Array<Promise<void>> = []
  if (enqueued) {
    const { spec, revision } = enqueued
    writes.push(
      warehouse.insert(
        'experiments',
        [{ id: spec.id, revision, namespace: spec.namespace, layer: spec.layer, spec: JSON.stringify(spec), enqueued_at: toWarehouseTime(e.at) }],
        { dedupToken: `experiment/${spec.id}/${revision}` },
      ),
    )
  }
  writes.push(
    warehouse.insert(
      'lifecycle',
      [
        {
          experiment_id: e.experimentId,
          seq: e.seq,
          at: toWarehouseTime(e.at),
          from_state: e.from ?? '',
          to_state: e.to,
          step: e.step,
          exposure: e.exposure,
          actor_type: e.actor.type,
          actor_id: e.actor.id,
          reason: e.reason,
          verdict_id: e.verdictId ?? '',
          verdict_seq: e.verdictSeq ?? 0,
          alloc_start: e.allocation?.start ?? null,
          alloc_size: e.allocation?.size ?? null,
          prev_hash: e.prevHash,
          hash: e.hash,
          codes: e.codes ?? [],
          result: e.result ?? '',
          blocked_by: e.blockedBy && e.blockedBy.length > 0 ? JSON.stringify(e.blockedBy) : '',
        },
      ],
      { dedupToken: `lifecycle/${e.experimentId}/${e.seq}` },
    ),
    warehouse.insert('ledger_heads', [{ experiment_id: e.experimentId, seq: e.seq, hash: e.hash, recorded_at: toWarehouseTime(e.at) }], {
      dedupToken: `ledger-head/${e.experimentId}/${e.seq}`,
    }),
  )
  // Every write is awaited before a failure is reported, so an undo never races a write still running.
  const results = await Promise.allSettled(writes)
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed) throw failed.reason
}

/**
 * A refusal entry's stored blockedBy. Text that is not a list of failures reads as none: the
 * entry then fails its hash check (the hash covers blockedBy), so the verifier names it.
 */
function storedFailures(text: string): PolicyFailure[] | null {
  try {
    const parsed = LifecycleEventSchema.shape.blockedBy.safeParse(JSON.parse(text))
    return parsed.success ? (parsed.data ?? null) : null
  } catch {
    return null
  }
}

function rowToEvent(r: LedgerRow): LifecycleEvent {
  const allocation: Allocation | null = r.alloc_start === null || r.alloc_size === null ? null : { start: Number(r.alloc_start), size: Number(r.alloc_size) }
  return {
    experimentId: r.experiment_id,
    seq: Number(r.seq),
    at: Number(r.at_ms),
    from: r.from_state === '' ? null : (r.from_state as LifecycleState),
    to: r.to_state as LifecycleState,
    step: Number(r.step),
    exposure: Number(r.exposure),
    actor: { type: r.actor_type as LifecycleEvent['actor']['type'], id: r.actor_id },
    reason: r.reason,
    verdictId: r.verdict_id === '' ? null : r.verdict_id,
    verdictSeq: Number(r.verdict_seq) > 0 ? Number(r.verdict_seq) : null,
    allocation,
    codes: Array.isArray(r.codes) ? r.codes.map(String) : [],
    result: r.result ? r.result : null,
    blockedBy: r.blocked_by ? storedFailures(r.blocked_by) : null,
    prevHash: r.prev_hash ?? '',
    hash: r.hash ?? '',
  }
}

export async function readLedger(warehouse: Warehouse, experimentId?: string): Promise<LifecycleEvent[]> {
  const rows = experimentId
    ? await warehouse.select<LedgerRow>(sqlQuery('lifecycle-of'), { experiment: experimentId })
    : await warehouse.select<LedgerRow>(sqlQuery('lifecycle-all'))
  return rows.map(rowToEvent)
}
