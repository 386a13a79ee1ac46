import { entryHash, genesisHash, keyIdOf, type LedgerKey } from './ledger-chain.js'
import type { LifecycleEvent } from './lifecycle.js'

export type LedgerProblemKind = 'altered' | 'removed' | 'reordered' | 'inserted' | 'truncated' | 'spec-changed' | 'unverifiable'

export interface LedgerProblem {
  experimentId: string
  seq: number
  kind: LedgerProblemKind
  message: string
}

/** Everything known about one experiment's chain, from three independent places. */
export interface ChainEvidence {
  experimentId: string
  /** Ledger rows as stored, in seq order (duplicates possible when rows were inserted). */
  entries: LifecycleEvent[]
  /** seq → hash recorded in `ledger_heads` at each append. */
  heads: ReadonlyMap<number, string>
  /** The newest spec revision in `experiments`, hashed as stored; null when there is none. */
  spec: { revision: number; specHash: string } | null
  /** The live state's chain head, when a live state was given (undefined: not checked). */
  live?: { ledgerSeq: number; ledgerHash: string } | null
  /** The verifier's ledger key (RUNWAY_LEDGER_KEY): keyed entries can be checked only with the key they were made with. */
  key?: LedgerKey | null
}

const isRevisionStart = (e: LifecycleEvent) => e.from === null || e.from === 'draft'

/**
 * Checks one experiment's chain and names each problem by seq. A problem
 * explains the broken links it causes, so one tampered row is reported once
 * (a removed row is not also reported as a broken link in the row after it).
 */
export function checkChain(ev: ChainEvidence): LedgerProblem[] {
  const id = ev.experimentId
  const problems: LedgerProblem[] = []
  const flagged = new Set<number>()
  const report = (seq: number, kind: LedgerProblemKind, message: string) => {
    problems.push({ experimentId: id, seq, kind, message: `${id} seq ${seq}: ${message}` })
    flagged.add(seq)
  }
  // The key an entry's hash needs: undefined for an unkeyed hash, null when the verifier lacks it.
  const keyFor = (e: LifecycleEvent) => {
    const id = keyIdOf(e.hash)
    if (id === null) return undefined
    return ev.key && ev.key.id === id ? ev.key : null
  }
  const hashOf = (e: LifecycleEvent, seq = e.seq) => {
    const key = keyFor(e)
    return key === null ? null : entryHash(e.prevHash, { ...e, seq }, key)
  }
  const selfConsistent = (e: LifecycleEvent) => e.hash !== '' && hashOf(e) === e.hash

  // One row per seq: a second row for a seq was inserted (keep the one the heads vouch for).
  const bySeq = new Map<number, LifecycleEvent>()
  for (const e of ev.entries) {
    const kept = bySeq.get(e.seq)
    if (!kept) {
      bySeq.set(e.seq, e)
      continue
    }
    const vouched = (x: LifecycleEvent) => ev.heads.get(x.seq) === x.hash && selfConsistent(x)
    const extra = vouched(e) && !vouched(kept) ? kept : e
    if (extra === kept) bySeq.set(e.seq, e)
    report(e.seq, 'inserted', `a second entry with this seq (${extra.from ?? '∅'} → ${extra.to}, "${extra.reason}")`)
  }
  const chain = [...bySeq.values()].sort((a, b) => a.seq - b.seq)
  const lastSeq = chain.at(-1)?.seq ?? 0
  const headSeq = Math.max(0, ...ev.heads.keys())
  const highestSeq = Math.max(lastSeq, headSeq, ev.live?.ledgerSeq ?? 0)

  for (const e of chain) {
    if (flagged.has(e.seq)) continue
    if (e.hash === '') {
      report(e.seq, 'altered', 'has no hash (written before the chain existed, or its hash was erased)')
    } else if (keyFor(e) === null) {
      const id = keyIdOf(e.hash)
      report(e.seq, 'unverifiable', `is keyed with ledger key ${id}; verify with that RUNWAY_LEDGER_KEY (${ev.key ? `the key given is ${ev.key.id}` : 'no key given'})`)
    } else if (!selfConsistent(e)) {
      // A row moved with its hash to another seq still hashes correctly under its original seq.
      const origin = findOriginalSeq(e, highestSeq + 1, hashOf)
      if (origin !== null) report(e.seq, 'reordered', `holds the entry written as seq ${origin} (${e.from ?? '∅'} → ${e.to})`)
      else report(e.seq, 'altered', `content does not match its hash (${e.from ?? '∅'} → ${e.to}, "${e.reason}")`)
    } else if (ev.heads.has(e.seq) && ev.heads.get(e.seq) !== e.hash) {
      report(e.seq, 'altered', 'rewritten and re-hashed: its hash differs from the one recorded in ledger_heads when it was appended')
    } else if (!ev.heads.has(e.seq)) {
      report(e.seq, 'inserted', 'is not recorded in ledger_heads (inserted into lifecycle, or its head row was deleted)')
    }
  }

  // Keys are never dropped: an unkeyed entry after a keyed one was re-hashed by someone without the key.
  const firstKeyed = chain.find((e) => keyIdOf(e.hash) !== null)
  for (const e of chain) {
    if (firstKeyed && e.seq > firstKeyed.seq && e.hash !== '' && keyIdOf(e.hash) === null && !flagged.has(e.seq)) {
      report(e.seq, 'altered', `is not keyed although seq ${firstKeyed.seq} before it is: re-hashed without the ledger key`)
    }
  }

  // Gaps inside the chain are removed rows; missing rows past the last one are a truncated tail.
  for (let s = 1; s < lastSeq; s++) if (!bySeq.has(s)) report(s, 'removed', 'missing from the ledger')
  const expectedLast = Math.max(headSeq, ev.live?.ledgerSeq ?? 0)
  if (expectedLast > lastSeq) {
    const witness = [headSeq > lastSeq ? `ledger_heads has seq ${headSeq}` : '', (ev.live?.ledgerSeq ?? 0) > lastSeq ? `live state is at seq ${ev.live!.ledgerSeq}` : '']
    report(lastSeq + 1, 'truncated', `entries ${lastSeq + 1}..${expectedLast} are missing (${witness.filter(Boolean).join('; ')})`)
  }
  if (chain.length === 0 && expectedLast === 0 && ev.spec) {
    // A spec without any entry: enqueue writes both, so the chain was deleted from lifecycle and ledger_heads.
    report(1, 'truncated', `spec revision ${ev.spec.revision} exists but the ledger has no entry for it`)
  }

  // Links: each entry's prevHash is its predecessor's hash, or the revision's genesis.
  const hashAt = (seq: number) => bySeq.get(seq)?.hash ?? ev.heads.get(seq) ?? ''
  const latestStart = [...chain].reverse().find(isRevisionStart)
  for (const e of chain) {
    if (flagged.has(e.seq)) continue
    if (isRevisionStart(e)) {
      if (e !== latestStart) continue // older revisions' specs are replaced in `experiments`; later links anchor them
      if (!ev.spec) {
        report(e.seq, 'spec-changed', 'the experiments table has no spec for this chain')
        continue
      }
      const genesis = genesisHash({ experimentId: id, revision: ev.spec.revision, specHash: ev.spec.specHash, priorHead: e.seq > 1 ? hashAt(e.seq - 1) : '' })
      if (e.prevHash !== genesis) report(e.seq, 'spec-changed', `the chain was started with another spec than revision ${ev.spec.revision} in the experiments table`)
      continue
    }
    if (flagged.has(e.seq - 1)) continue // the predecessor's problem (altered, moved, removed) explains the broken link
    if (e.prevHash !== hashAt(e.seq - 1)) report(e.seq, 'altered', `does not link to seq ${e.seq - 1} (one of the two was rewritten)`)
  }

  // The live head commits to the whole chain: a rewrite the other checks missed still changes it.
  const head = bySeq.get(lastSeq)
  if (ev.live && head && ev.live.ledgerSeq === lastSeq && ev.live.ledgerHash !== head.hash && problems.length === 0) {
    report(lastSeq, 'altered', 'the chain head differs from the live state: the ledger was rewritten at or before this entry')
  }
  if (ev.live && ev.live.ledgerSeq < lastSeq) {
    for (let s = ev.live.ledgerSeq + 1; s <= lastSeq; s++) {
      if (!flagged.has(s)) report(s, 'inserted', `is past the live state's head (seq ${ev.live.ledgerSeq})`)
    }
  }
  return problems.sort((a, b) => a.seq - b.seq)
}

/** The seq under which a moved row was hashed, if any. */
function findOriginalSeq(e: LifecycleEvent, upTo: number, hashOf: (e: LifecycleEvent, seq: number) => string | null): number | null {
  for (let s = 1; s <= upTo; s++) {
    if (s !== e.seq && hashOf(e, s) === e.hash) return s
  }
  return null
}
