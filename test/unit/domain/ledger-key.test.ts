import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { newRecord, transition } from '../../../src/domain/experiment-record.js'
import { CHAIN_VERSION, canonicalJson, chainEntry, entryHash, hashedFields, keyIdOf, ledgerKey, specHash } from '../../../src/domain/ledger-chain.js'
import { type ChainEvidence, checkChain } from '../../../src/domain/ledger-verify.js'
import type { LifecycleEvent } from '../../../src/domain/lifecycle.js'
import { T0, specFixture } from '../../support/fixtures.js'
import { KAT, KAT_KEYED } from '../../support/ledger-kat.js'

const key = ledgerKey('k'.repeat(40))
const other = ledgerKey('o'.repeat(40))
const person = { type: 'person' as const, id: 'alice' }
const spec = specFixture()

/** queued, scheduled, running, ramp, paused, written by transition() with the given key per entry. */
function chain(keys: Array<typeof key | undefined>): LifecycleEvent[] {
  let r = newRecord(spec, T0)
  const moves = [{ to: 'queued' }, { to: 'scheduled', allocation: { start: 0, size: 10_000 } }, { to: 'running' }, { to: 'running', step: 1 }, { to: 'paused' }] as const
  return moves.map((m, i) => {
    const t = transition(r, { actor: person, reason: `move ${i}`, at: T0 + i * 1000, ...m }, keys[i])
    if (!t.ok) throw new Error(t.message)
    r = t.record
    return t.event
  })
}
const evidence = (entries: LifecycleEvent[], verifierKey: typeof key | null): ChainEvidence => ({
  experimentId: spec.id,
  entries,
  heads: new Map(entries.map((e) => [e.seq, e.hash])),
  spec: { revision: 1, specHash: specHash(JSON.parse(JSON.stringify(spec))) },
  key: verifierKey,
})
const kinds = (ev: ChainEvidence) => checkChain(ev).map((p) => `${p.seq}:${p.kind}`)
const keyed = chain(Array(5).fill(key))

describe('keyed ledger entries (RUNWAY_LEDGER_KEY)', () => {
  it('are HMAC-SHA256 of the same text as the unkeyed hash, tagged with the key id', () => {
    const e = keyed[2]!
    const text = `${CHAIN_VERSION}/entry\n${e.prevHash}\n${canonicalJson(hashedFields(e))}`
    expect(e.hash).toBe(`k1:${key.id}:${createHmac('sha256', 'k'.repeat(40)).update(text).digest('hex')}`)
    expect(keyIdOf(e.hash)).toBe(key.id)
    expect(keyIdOf(entryHash(e.prevHash, e))).toBeNull()
    expect(key.id).toMatch(/^[0-9a-f]{8}$/)
    expect(other.id).not.toBe(key.id)
    expect(entryHash(e.prevHash, e, other)).not.toBe(e.hash)
  })

  it('an intact keyed chain verifies with its key', () => {
    expect(checkChain(evidence(keyed, key))).toEqual([])
  })

  it('a rewrite re-hashed without the key is caught even when ledger_heads and the links were rewritten too', () => {
    // The forger changes seq 3's reason and re-hashes it and every later entry with plain SHA-256.
    const forged = [...keyed.slice(0, 2)]
    for (const e of keyed.slice(2)) forged.push(chainEntry(forged.at(-1)!.hash, { ...e, reason: e.seq === 3 ? 'nothing to see' : e.reason }))
    expect(kinds(evidence(forged, key))).toEqual(['3:altered', '4:altered', '5:altered'])
    // ... or with a key of their own: its id is not the verifier's.
    const guessed = [...keyed.slice(0, 2)]
    for (const e of keyed.slice(2)) guessed.push(chainEntry(guessed.at(-1)!.hash, { ...e, reason: 'x' }, other))
    expect(kinds(evidence(guessed, key))).toEqual(['3:unverifiable', '4:unverifiable', '5:unverifiable'])
  })

  it('without the key, keyed entries are reported as unverifiable, naming the key they need', () => {
    const problems = checkChain(evidence(keyed, null))
    expect(problems.map((p) => p.kind)).toEqual(Array(5).fill('unverifiable'))
    expect(problems[0]!.message).toContain(`ledger key ${key.id}`)
    expect(checkChain(evidence(keyed, other))[0]!.message).toContain(`the key given is ${other.id}`)
  })

  it('a chain that went from unkeyed to keyed verifies; one that goes back (a downgrade) does not', () => {
    const adopted = chain([undefined, undefined, key, key, key])
    expect(checkChain(evidence(adopted, key))).toEqual([])
    const downgraded = chain([key, key, undefined, undefined, key])
    expect(kinds(evidence(downgraded, key))).toEqual(['3:altered', '4:altered'])
    expect(checkChain(evidence(downgraded, key))[0]!.message).toContain('re-hashed without the ledger key')
  })
})

describe('known-answer vectors (HMAC mode; test/support/ledger-kat.ts)', () => {
  it('key id and keyed entry hashes are the digests computed independently', () => {
    const k = ledgerKey(KAT_KEYED.secret)
    expect(k.id).toBe(KAT_KEYED.keyId)
    let prev: string = KAT.genesis
    KAT.entries.forEach((e, i) => {
      prev = entryHash(prev, e.fields, k)
      expect(prev).toBe(KAT_KEYED.hashes[i])
      expect(keyIdOf(prev)).toBe(KAT_KEYED.keyId)
    })
  })
})
