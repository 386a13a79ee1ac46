import { createHash, createHmac } from 'node:crypto'
import type { LifecycleEvent } from './lifecycle.js'

/**
 * The audit ledger's hash chain, one chain per experiment. Each entry carries
 * the previous entry's hash, so changing, removing or reordering one entry
 * breaks every link after it; the first entry of a spec revision starts from a
 * genesis hash that commits to the experiment id, the revision and the spec.
 *
 * Pure: hashing is a function of its input. The version tag is hashed too, so a
 * future encoding can coexist with this one instead of silently disagreeing.
 */
export const CHAIN_VERSION = 'runway-ledger-v1'

/**
 * JSON with object keys sorted and no whitespace, so the same value always
 * encodes to the same bytes whatever order its fields were built in.
 * `undefined` members are dropped (as JSON.stringify does); values JSON cannot
 * represent faithfully are refused rather than hashed as something else.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} has no JSON form`)
      return JSON.stringify(value)
    case 'string':
    case 'boolean':
      return JSON.stringify(value)
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
    }
    default:
      throw new TypeError(`canonicalJson: cannot encode a ${typeof value}`)
  }
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex')

/** Hash of a spec as stored (the parsed JSON object, before schema defaults could differ). */
export function specHash(spec: unknown): string {
  return sha256(`${CHAIN_VERSION}/spec\n${canonicalJson(spec)}`)
}

export interface GenesisInput {
  experimentId: string
  revision: number
  specHash: string
  /** Head of the previous revision's entries ('' for the first revision): revisions stay one chain. */
  priorHead: string
}

/** The prevHash of the first entry of a spec revision. */
export function genesisHash(g: GenesisInput): string {
  return sha256(`${CHAIN_VERSION}/genesis\n${canonicalJson(g)}`)
}

/** An entry's fields without its chain links. */
export type ChainFields = Omit<LifecycleEvent, 'prevHash' | 'hash'>

/**
 * The fields an entry's hash covers, picked one by one: a field added to
 * LifecycleEvent later is not hashed until it is named here (and stored), so
 * the hash never depends on something the warehouse does not keep.
 */
export function hashedFields(e: ChainFields) {
  return {
    experimentId: e.experimentId,
    seq: e.seq,
    at: e.at,
    from: e.from,
    to: e.to,
    step: e.step,
    exposure: e.exposure,
    actor: { type: e.actor.type, id: e.actor.id },
    reason: e.reason,
    verdictId: e.verdictId,
    verdictSeq: e.verdictSeq,
    allocation: e.allocation ? { start: e.allocation.start, size: e.allocation.size } : null,
    // Hashed only when present, so entries stored before these columns existed verify as before.
    codes: e.codes && e.codes.length > 0 ? [...e.codes] : undefined,
    result: e.result ?? undefined,
    blockedBy: e.blockedBy && e.blockedBy.length > 0 ? e.blockedBy.map((f) => ({ rule: f.rule, path: f.path, message: f.message })) : undefined,
  }
}

/**
 * A secret for keyed entries (RUNWAY_LEDGER_KEY). SHA-256 alone can be recomputed
 * by anyone who can rewrite the tables; an HMAC cannot without the key. `id` names
 * the key in each keyed hash (not secret), so a verifier knows which key it needs.
 */
export interface LedgerKey {
  id: string
  secret: string
}

export function ledgerKey(secret: string): LedgerKey {
  return { id: sha256(`${CHAIN_VERSION}/key-id\n${secret}`).slice(0, 8), secret }
}

/** A keyed hash is `k1:<key id>:<hmac>`; an unkeyed one is the bare sha256 hex. */
const KEYED = /^k1:([0-9a-f]{8}):[0-9a-f]{64}$/

/** The key id a stored hash was made with, or null for an unkeyed hash. */
export function keyIdOf(hash: string): string | null {
  return KEYED.exec(hash)?.[1] ?? null
}

/**
 * hash = sha256(prevHash ‖ canonical JSON of the entry's fields), or with a key
 * HMAC-SHA256 (RFC 2104) of the same text, tagged with the key's id.
 */
export function entryHash(prevHash: string, e: ChainFields, key?: LedgerKey): string {
  const text = `${CHAIN_VERSION}/entry\n${prevHash}\n${canonicalJson(hashedFields(e))}`
  if (!key) return sha256(text)
  return `k1:${key.id}:${createHmac('sha256', key.secret).update(text, 'utf8').digest('hex')}`
}

/** Links an entry to its predecessor: what transition() stores and the verifier recomputes. */
export function chainEntry(prevHash: string, e: ChainFields, key?: LedgerKey): LifecycleEvent {
  return { ...e, prevHash, hash: entryHash(prevHash, e, key) }
}
