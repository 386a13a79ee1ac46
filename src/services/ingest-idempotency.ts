import { createHash } from 'node:crypto'
import { toWarehouseTime } from '../domain/telemetry.js'
import { ConflictError } from '../errors.js'
import type { Warehouse } from '../ports/warehouse.js'
import { sqlQuery } from '../sql-files.js'

/** What a keyed batch answered the first time: a retry with the same body gets it again. */
export interface RecordedAnswer {
  batchId: string
  accepted: number
  rejected: number
  errors: Array<{ line: number; reason: string }>
  masked: number
  dropped: number
}

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32)

/**
 * Idempotency keys of HTTP batches, kept in `ingest_batches`. The key alone used
 * to be the insert's dedup token, so a key reused with another body was answered
 * 200 while the engine dropped the rows as a retry. Now the body is part of the
 * token, and the key's first body is recorded after its inserts: a different body
 * under the same key is a 409; the same body is answered from the record.
 * Requests with the same key are serialised in this process; two replicas racing
 * on one key with different bodies may both store theirs (never silently neither).
 * The lookup runs on the engine's thread while the batch is validated on this one
 * (`prepare` has no side effect); only a new key's batch is then stored, so the
 * answers are those of lookup-then-store, in the same order (a reused key's 409
 * or recorded answer comes before any error of the new body).
 */
export class IdempotencyKeys {
  private readonly inFlight = new Map<string, Promise<unknown>>()

  constructor(private readonly warehouse: Warehouse) {}

  /** Runs `store` once per (key, body); refuses the key with a different body. */
  async once<P>(key: string, body: string, now: number, prepare: () => Promise<P>, store: (prepared: P, ids: { batchId: string; dedupToken: string }) => Promise<RecordedAnswer>): Promise<RecordedAnswer> {
    const keyHash = hash(key)
    const previous = this.inFlight.get(keyHash) ?? Promise.resolve()
    const run = previous.catch(() => {}).then(() => this.run(key, keyHash, hash(body), now, prepare, store))
    this.inFlight.set(keyHash, run)
    try {
      return await run
    } finally {
      if (this.inFlight.get(keyHash) === run) this.inFlight.delete(keyHash)
    }
  }

  private async run<P>(key: string, keyHash: string, bodyHash: string, now: number, prepare: () => Promise<P>, store: (prepared: P, ids: { batchId: string; dedupToken: string }) => Promise<RecordedAnswer>): Promise<RecordedAnswer> {
    const lookup = this.warehouse.select<{ body_hash: string; batch_id: string; accepted: number; rejected: number; masked: number; dropped: number; errors: string }>(
      sqlQuery('ingest-batch-by-key'),
      { key: keyHash },
    )
    // Awaited below; a failure meanwhile must not count as unhandled.
    lookup.catch(() => {})
    let prepared: { ok: true; value: P } | { ok: false; error: unknown }
    try {
      prepared = { ok: true, value: await prepare() }
    } catch (error) {
      prepared = { ok: false, error }
    }
    const [prior] = await lookup
    if (prior) {
      if (prior.body_hash !== bodyHash) {
        throw new ConflictError(
          `Idempotency-Key ${JSON.stringify(key.slice(0, 100))} was already used for a different body (batch ${prior.batch_id}); a retry must send the same body, a new batch needs a new key`,
          'IDEMPOTENCY_KEY_REUSED',
          { batchId: prior.batch_id },
        )
      }
      return { batchId: prior.batch_id, accepted: Number(prior.accepted), rejected: Number(prior.rejected), masked: Number(prior.masked), dropped: Number(prior.dropped), errors: JSON.parse(prior.errors) }
    }
    if (!prepared.ok) throw prepared.error
    const answer = await store(prepared.value, { batchId: `idem-${keyHash}`, dedupToken: `idem-${keyHash}-${bodyHash}` })
    await this.warehouse.insert(
      'ingest_batches',
      [{ key_hash: keyHash, body_hash: bodyHash, batch_id: answer.batchId, received_at: toWarehouseTime(now), accepted: answer.accepted, rejected: answer.rejected, masked: answer.masked, dropped: answer.dropped, errors: JSON.stringify(answer.errors) }],
      { dedupToken: `idem-${keyHash}-${bodyHash}-record` },
    )
    return answer
  }
}
