import { describe, expect, it } from 'vitest'
import { newRecord, revisionGenesis, transition } from '../../../src/domain/experiment-record.js'
import { canonicalJson, chainEntry, entryHash, genesisHash, hashedFields, specHash } from '../../../src/domain/ledger-chain.js'
import { type ChainEvidence, checkChain } from '../../../src/domain/ledger-verify.js'
import type { LifecycleEvent } from '../../../src/domain/lifecycle.js'
import { diffStates } from '../../../src/domain/replay-diff.js'
import { parseStoredSpec } from '../../../src/domain/stored-spec.js'
import { T0, specFixture } from '../../support/fixtures.js'
import { KAT } from '../../support/ledger-kat.js'

const person = { type: 'person' as const, id: 'alice' }

/** A chain written by transition(), as the queue writes it: queued, scheduled, running, ramp, paused. */
function chain() {
  const spec = specFixture()
  let r = newRecord(spec, T0)
  const events: LifecycleEvent[] = []
  const moves = [{ to: 'queued' }, { to: 'scheduled', allocation: { start: 0, size: 10_000 } }, { to: 'running' }, { to: 'running', step: 1 }, { to: 'paused' }] as const
  for (const [i, m] of moves.entries()) {
    const t = transition(r, { actor: person, reason: `move ${i}`, at: T0 + i * 1000, ...m })
    if (!t.ok) throw new Error(t.message)
    r = t.record
    events.push(t.event)
  }
  return { spec, record: r, events }
}

const evidence = (events: LifecycleEvent[], over: Partial<ChainEvidence> = {}): ChainEvidence => {
  const { spec } = chain()
  return {
    experimentId: spec.id,
    entries: events,
    heads: new Map(chain().events.map((e) => [e.seq, e.hash])),
    spec: { revision: 1, specHash: specHash(JSON.parse(JSON.stringify(spec))) },
    ...over,
  }
}
const kinds = (ev: ChainEvidence) => checkChain(ev).map((p) => `${p.seq}:${p.kind}`)

describe('canonical encoding and hashes', () => {
  it('sorts keys at every depth, drops undefined members, refuses what JSON cannot say', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: null, y: 'x' }], c: undefined } })).toBe('{"a":{"d":[1,{"y":"x","z":null}]},"b":1}')
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }))
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(TypeError)
    expect(() => canonicalJson({ x: 1n })).toThrow(TypeError)
  })

  it('an entry hash covers every stored field and the previous hash', () => {
    const e = chain().events[2]!
    const base = entryHash(e.prevHash, e)
    expect(base).toMatch(/^[0-9a-f]{64}$/)
    const variants: Array<Partial<LifecycleEvent>> = [
      { seq: 4 }, { at: e.at + 1 }, { from: 'queued' }, { to: 'paused' }, { step: 1 }, { exposure: 6 }, { actor: { type: 'system', id: 'alice' } },
      { reason: 'x' }, { verdictId: 'v' }, { verdictSeq: 1 }, { allocation: null }, { experimentId: 'other' },
    ]
    for (const v of variants) expect(entryHash(e.prevHash, { ...e, ...v }), JSON.stringify(v)).not.toBe(base)
    expect(entryHash('0'.repeat(64), e)).not.toBe(base)
  })

  it('genesis commits to the id, revision, spec and prior head', () => {
    const g = { experimentId: 'a', revision: 1, specHash: specHash({ x: 1 }), priorHead: '' }
    const h = genesisHash(g)
    for (const other of [{ experimentId: 'b' }, { revision: 2 }, { specHash: specHash({ x: 2 }) }, { priorHead: 'f' }]) expect(genesisHash({ ...g, ...other })).not.toBe(h)
  })

  it('transition() links each entry to the record head and moves the head', () => {
    const { spec, record, events } = chain()
    expect(events[0]!.prevHash).toBe(revisionGenesis(spec, 1))
    for (let i = 1; i < events.length; i++) expect(events[i]!.prevHash).toBe(events[i - 1]!.hash)
    for (const e of events) expect(chainEntry(e.prevHash, e)).toEqual(e)
    expect(record.ledgerHash).toBe(events.at(-1)!.hash)
  })
})

describe('checkChain names each kind of tampering', () => {
  it('an intact chain has no problems, with or without the live head', () => {
    const { record, events } = chain()
    expect(checkChain(evidence(events))).toEqual([])
    expect(checkChain(evidence(events, { live: { ledgerSeq: record.ledgerSeq, ledgerHash: record.ledgerHash } }))).toEqual([])
  })

  it('altered content, removed, reordered, inserted and truncated entries', () => {
    const e = chain().events
    expect(kinds(evidence([e[0]!, e[1]!, { ...e[2]!, reason: 'edited' }, e[3]!, e[4]!]))).toEqual(['3:altered'])
    expect(kinds(evidence([e[0]!, e[2]!, e[3]!, e[4]!]))).toEqual(['2:removed'])
    expect(kinds(evidence([e[0]!, e[1]!, { ...e[3]!, seq: 3 }, { ...e[2]!, seq: 4 }, e[4]!]))).toEqual(['3:reordered', '4:reordered'])
    expect(kinds(evidence(e.slice(0, 3)))).toEqual(['4:truncated'])
    const forged = chainEntry(e[4]!.hash, { ...e[4]!, seq: 6, from: 'paused', to: 'cancelled' })
    expect(kinds(evidence([...e, forged]))).toEqual(['6:inserted'])
    expect(kinds(evidence([...e, { ...e[1]!, reason: 'twin' }]))).toEqual(['2:inserted'])
  })

  it('a re-hashed rewrite is caught by ledger_heads; a rewrite of both by the live head', () => {
    const e = chain().events
    const rewritten = chainEntry(e[3]!.prevHash, { ...e[3]!, reason: 'rewritten' })
    expect(kinds(evidence([e[0]!, e[1]!, e[2]!, rewritten, e[4]!]))).toEqual(['4:altered'])
    // Everything from seq 4 rewritten in both tables: only the live state still knows the real head.
    const tail = chainEntry(rewritten.hash, e[4]!)
    const forgedHeads = new Map([...e.slice(0, 3), rewritten, tail].map((x) => [x.seq, x.hash]))
    const both = evidence([e[0]!, e[1]!, e[2]!, rewritten, tail], { heads: forgedHeads })
    expect(checkChain(both)).toEqual([])
    expect(kinds({ ...both, live: { ledgerSeq: 5, ledgerHash: e[4]!.hash } })).toEqual(['5:altered'])
  })

  it('a changed or missing spec, and a chain deleted from every table but the spec or the live state', () => {
    const e = chain().events
    expect(kinds(evidence(e, { spec: { revision: 1, specHash: specHash({ other: true }) } }))).toEqual(['1:spec-changed'])
    expect(kinds(evidence(e, { spec: { revision: 2, specHash: evidence(e).spec!.specHash } }))).toEqual(['1:spec-changed'])
    expect(kinds(evidence(e, { spec: null }))).toEqual(['1:spec-changed'])
    expect(kinds(evidence([], { heads: new Map() }))).toEqual(['1:truncated'])
    expect(kinds(evidence([], { heads: new Map(), spec: null, live: { ledgerSeq: 5, ledgerHash: 'x' } }))).toEqual(['1:truncated'])
  })

  it('entries without a hash (written before the chain) are reported, not trusted', () => {
    const e = chain().events
    expect(kinds(evidence([e[0]!, { ...e[1]!, hash: '', prevHash: '' }, e[2]!, e[3]!, e[4]!]))).toEqual(['2:altered'])
  })
})

describe('replay comparison and stored specs', () => {
  it('names differing fields and ignores the bookkeeping that is not in the ledger', () => {
    const { record } = chain()
    const replayed = { ...record, version: 99, lastAppliedVerdictSeq: 7, gstFractions: [0.5], pendingApproval: { verdictId: 'v', toStep: 1 } }
    expect(diffStates([record], [replayed])).toEqual([])
    expect(diffStates([record], [{ ...replayed, step: 0, stepStartedAt: 1 }]).map((d) => d.field)).toEqual(['step', 'stepStartedAt'])
    expect(diffStates([record], [])).toEqual([{ experimentId: record.spec.id, field: 'record', live: 'paused', replayed: null }])
  })

  it('a stored spec reads back equal: durations stay milliseconds, fields added later get defaults', () => {
    const spec = specFixture()
    expect(parseStoredSpec(JSON.stringify(spec))).toEqual(spec)
    const { team: _team, ...older } = spec as typeof spec & { team?: string }
    expect(parseStoredSpec(JSON.stringify(older))).toEqual(spec)
  })
})

describe('known-answer vectors (plain SHA-256)', () => {
  it('spec hash, genesis and entry hashes are the digests computed independently', () => {
    expect(specHash(KAT.spec)).toBe(KAT.specHash)
    expect(genesisHash({ experimentId: 'kat-1', revision: 1, specHash: KAT.specHash, priorHead: '' })).toBe(KAT.genesis)
    let prev: string = KAT.genesis
    for (const e of KAT.entries) {
      expect(canonicalJson(hashedFields(e.fields))).toBe(e.text)
      // A field the hash does not cover (a later addition) leaves it unchanged.
      expect(entryHash(prev, { ...e.fields, extra: 'ignored' } as never)).toBe(e.hash)
      prev = chainEntry(prev, e.fields).hash
      expect(prev).toBe(e.hash)
    }
  })
})
