import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { newRecord, type ExperimentRecord } from '../../src/domain/experiment-record.js'
import { ExperimentSpecSchema } from '../../src/domain/experiment.js'
import type { StateStore } from '../../src/ports/state-store.js'
import { uid } from './helpers.js'

export interface StateStoreContractOptions {
  name: string
  /** A fresh store per test (a Redis-backed one may take a unique key prefix). */
  create: () => Promise<StateStore>
  /** Releases what `create` opened (connections); optional. */
  dispose?: (store: StateStore) => Promise<void>
}

export function runStateStoreContract({ name, create, dispose }: StateStoreContractOptions): void {
  describe(`StateStore contract: ${name}`, () => {
    let store: StateStore
    let run: string

    beforeEach(async () => {
      run = uid()
      store = await create()
    })
    afterEach(async () => {
      await dispose?.(store)
    })

    /** Ids are unique per test, so a shared backend never mixes tests. */
    const id = (label: string) => `ct-${run}-${label}`
    const record = (label: string, version = 0): ExperimentRecord => {
      const spec = ExperimentSpecSchema.parse({
        id: id(label),
        owner: 'team-contract',
        variants: [
          { name: 'control', weight: 1 },
          { name: 'treatment', weight: 1 },
        ],
        metrics: { primary: { name: 'latency_ms', direction: 'decrease' }, guardrails: [{ name: 'error_rate', margin: 0.01 }] },
        rollout: { steps: [{ exposure: 10, minDuration: '1h' }, { exposure: 100 }] },
      })
      return { ...newRecord(spec, Date.UTC(2025, 0, 1)), version }
    }
    const ours = async () =>
      (await store.list())
        .filter((r) => r.spec.id.startsWith(`ct-${run}-`))
        .sort((a, b) => a.spec.id.localeCompare(b.spec.id))

    it('get of an unknown id is null; list holds nothing of this test yet', async () => {
      expect(await store.get(id('nobody'))).toBeNull()
      expect(await ours()).toEqual([])
    })

    it('put with expectedVersion null creates; a second create conflicts and reports the version', async () => {
      const r = record('a')
      expect(await store.put(r, null)).toEqual({ ok: true })
      expect(await store.get(id('a'))).toEqual(r)
      const again = { ...record('a'), state: 'queued' as const }
      expect(await store.put(again, null)).toEqual({ ok: false, actualVersion: 0 })
      expect(await store.get(id('a'))).toEqual(r)
    })

    it('compare-and-set succeeds on the stored version and conflicts otherwise, reporting the actual one', async () => {
      await store.put(record('a'), null)
      const v1: ExperimentRecord = { ...record('a', 1), state: 'queued', ledgerSeq: 1 }
      expect(await store.put(v1, 0)).toEqual({ ok: true })
      expect(await store.get(id('a'))).toEqual(v1)
      const stale: ExperimentRecord = { ...record('a', 1), state: 'cancelled' }
      expect(await store.put(stale, 0)).toEqual({ ok: false, actualVersion: 1 })
      expect(await store.put(stale, 7)).toEqual({ ok: false, actualVersion: 1 })
      expect(await store.get(id('a'))).toEqual(v1)
      const v2: ExperimentRecord = { ...v1, version: 2, state: 'scheduled', allocation: { start: 0, size: 5000 } }
      expect(await store.put(v2, 1)).toEqual({ ok: true })
      expect(await store.get(id('a'))).toEqual(v2)
    })

    it('put with a version on a missing record conflicts with actualVersion null and creates nothing', async () => {
      expect(await store.put(record('ghost', 1), 0)).toEqual({ ok: false, actualVersion: null })
      expect(await store.get(id('ghost'))).toBeNull()
    })

    it('of concurrent writers expecting the same version, exactly one wins', async () => {
      await store.put(record('a'), null)
      const states = ['queued', 'cancelled', 'rejected', 'queued', 'cancelled', 'rejected', 'queued', 'cancelled'] as const
      const attempts = states.map((state, i) => ({ ...record('a', 1), state, ledgerSeq: 100 + i }))
      const results = await Promise.all(attempts.map((a) => store.put(a, 0)))
      expect(results.filter((r) => r.ok)).toHaveLength(1)
      expect(results.filter((r) => !r.ok)).toEqual(Array(attempts.length - 1).fill({ ok: false, actualVersion: 1 }))
      expect(await store.get(id('a'))).toEqual(attempts[results.findIndex((r) => r.ok)])
    })

    it('of concurrent creates of one id, exactly one wins', async () => {
      const results = await Promise.all([1, 2, 3, 4, 5].map(() => store.put(record('new'), null)))
      expect(results.filter((r) => r.ok)).toHaveLength(1)
      expect(results.filter((r) => !r.ok)).toEqual(Array(4).fill({ ok: false, actualVersion: 0 }))
    })

    it('remove needs the stored version; a wrong one or a missing record conflicts', async () => {
      await store.put(record('a'), null)
      await store.put(record('a', 1), 0)
      expect(await store.remove(id('a'), 0)).toEqual({ ok: false, actualVersion: 1 })
      expect(await store.get(id('a'))).not.toBeNull()
      expect(await store.remove(id('a'), 1)).toEqual({ ok: true })
      expect(await store.get(id('a'))).toBeNull()
      expect(await ours()).toEqual([])
      expect(await store.remove(id('a'), 1)).toEqual({ ok: false, actualVersion: null })
      // Removed means gone: a create with expectedVersion null works again.
      expect(await store.put(record('a'), null)).toEqual({ ok: true })
    })

    it('list returns every record, and records are independent by id', async () => {
      const a = record('a')
      const b = { ...record('b'), state: 'queued' as const }
      await store.put(a, null)
      await store.put(b, null)
      expect(await ours()).toEqual([a, b])
      await store.put({ ...a, version: 1, state: 'queued' }, 0)
      expect(await store.get(id('b'))).toEqual(b)
    })

    it('get, list and put work on copies: mutating one never changes the store', async () => {
      const written = record('a')
      await store.put(written, null)
      written.state = 'running'
      written.spec.variants[0]!.weight = 99
      const got = (await store.get(id('a')))!
      expect(got.state).toBe('draft')
      expect(got.spec.variants[0]!.weight).toBe(1)
      got.state = 'cancelled'
      got.spec.metrics.primary.name = 'mutated'
      got.allocation = { start: 1, size: 2 }
      const listed = (await ours())[0]!
      listed.version = 42
      listed.spec.rollout.steps.push({ exposure: 100, minDuration: 0, approval: false })
      expect(await store.get(id('a'))).toEqual(record('a'))
      expect(await ours()).toEqual([record('a')])
    })

    it('nextVerdictSeq counts 1, 2, 3… per id, independently across ids', async () => {
      expect(await store.nextVerdictSeq(id('a'))).toBe(1)
      expect(await store.nextVerdictSeq(id('a'))).toBe(2)
      expect(await store.nextVerdictSeq(id('b'))).toBe(1)
      expect(await store.nextVerdictSeq(id('a'))).toBe(3)
      expect(await store.nextVerdictSeq(id('b'))).toBe(2)
    })

    it('nextVerdictSeq is atomic: concurrent calls get distinct consecutive numbers', async () => {
      const seqs = await Promise.all(Array.from({ length: 50 }, () => store.nextVerdictSeq(id('a'))))
      expect([...seqs].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
    })

    it('seedVerdictSeq raises the counter and never lowers it', async () => {
      await store.seedVerdictSeq(id('a'), 10)
      expect(await store.nextVerdictSeq(id('a'))).toBe(11)
      await store.seedVerdictSeq(id('a'), 5)
      expect(await store.nextVerdictSeq(id('a'))).toBe(12)
      await store.seedVerdictSeq(id('a'), 12)
      expect(await store.nextVerdictSeq(id('a'))).toBe(13)
      await store.seedVerdictSeq(id('a'), 20)
      expect(await store.nextVerdictSeq(id('a'))).toBe(21)
      expect(await store.nextVerdictSeq(id('b'))).toBe(1)
    })
  })
}
