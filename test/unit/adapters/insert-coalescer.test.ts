import { describe, expect, it, vi } from 'vitest'
import { InsertCoalescer } from '../../../src/adapters/warehouse/insert-coalescer.js'
import type { TableName, Warehouse } from '../../../src/ports/warehouse.js'

/** An insert the fake engine received, answered when the test says so. */
interface Held {
  table: TableName
  rows: ReadonlyArray<Record<string, unknown>>
  token: string | undefined
  resolve: () => void
  reject: (e: Error) => void
}

/** A warehouse whose inserts stay open until the test resolves or rejects them; it counts how many are open at once. */
function heldEngine() {
  const held: Held[] = []
  let open = 0
  let mostOpen = 0
  const warehouse: Warehouse = {
    command: async () => {},
    select: async () => [],
    close: async () => {},
    insert: (table, rows, o) =>
      new Promise<void>((resolve, reject) => {
        open++
        mostOpen = Math.max(mostOpen, open)
        const done = () => open--
        held.push({ table, rows, token: o?.dedupToken, resolve: () => (done(), resolve()), reject: (e) => (done(), reject(e)) })
      }),
  }
  return { warehouse, held, mostOpen: () => mostOpen }
}

/** A call's promise with whether (and how) it settled, read without waiting. */
function tracked(p: Promise<void>) {
  const t = { settled: false, error: undefined as unknown, done: p }
  p.then(
    () => (t.settled = true),
    (e: unknown) => ((t.settled = true), (t.error = e)),
  )
  return t
}

const rows = (call: string, n = 2) => Array.from({ length: n }, (_, k) => ({ call, k }))
const callsIn = (h: Held) => [...new Set(h.rows.map((r) => r.call))].sort()
/** Lets already-resolved promise chains run (no timer involved). */
const settle = () => new Promise((r) => setImmediate(r))

describe('InsertCoalescer with an engine that answers when told', () => {
  it('keeps one insert in flight; the calls queued behind it go as one insert, each answered only after that insert resolved', async () => {
    const engine = heldEngine()
    const co = new InsertCoalescer(engine.warehouse, { tables: ['events'], maxRows: 1_000 })
    const a = tracked(co.insert('events', rows('a'), { dedupToken: 'tok-a' }))
    await vi.waitFor(() => expect(engine.held).toHaveLength(1))
    const queued = ['b', 'c', 'd'].map((c) => tracked(co.insert('events', rows(c), { dedupToken: `tok-${c}` })))
    await settle()
    // Nothing else reaches the engine while the first insert is open, and nobody is answered early.
    expect(engine.held).toHaveLength(1)
    expect([a, ...queued].some((t) => t.settled)).toBe(false)
    engine.held[0]!.resolve()
    await a.done
    await vi.waitFor(() => expect(engine.held).toHaveLength(2))
    const second = engine.held[1]!
    expect(callsIn(second)).toEqual(['b', 'c', 'd'])
    expect(second.rows).toHaveLength(6)
    // A combined insert goes under a token of its own (never one member's), so a member's retry alone is not dropped as this group.
    expect(second.token).toMatch(/^group-[0-9a-f]{40}$/)
    await settle()
    expect(queued.some((t) => t.settled)).toBe(false)
    second.resolve()
    await Promise.all(queued.map((t) => t.done))
    expect(engine.mostOpen()).toBe(1)
    expect(co.stats).toMatchObject({ inserts: 2, calls: 4 })
  })

  it('a failed combined insert fails exactly its members; a call queued behind it is written next and succeeds', async () => {
    const engine = heldEngine()
    const co = new InsertCoalescer(engine.warehouse, { tables: ['events'], maxRows: 1_000 })
    const a = tracked(co.insert('events', rows('a'), { dedupToken: 'tok-a' }))
    await vi.waitFor(() => expect(engine.held).toHaveLength(1))
    const members = ['b', 'c'].map((c) => tracked(co.insert('events', rows(c), { dedupToken: `tok-${c}` })))
    engine.held[0]!.resolve()
    await vi.waitFor(() => expect(engine.held).toHaveLength(2))
    // Arrives while the group is being written: not a member of it.
    const late = tracked(co.insert('events', rows('late'), { dedupToken: 'tok-late' }))
    await settle()
    engine.held[1]!.reject(new Error('disk full'))
    await Promise.allSettled(members.map((t) => t.done))
    expect(members.map((t) => (t.error as Error | undefined)?.message)).toEqual(['disk full', 'disk full'])
    expect(a.error).toBeUndefined()
    await vi.waitFor(() => expect(engine.held).toHaveLength(3))
    expect(callsIn(engine.held[2]!)).toEqual(['late'])
    expect(late.settled).toBe(false)
    engine.held[2]!.resolve()
    await late.done
    expect(late.error).toBeUndefined()
    // A member's retry goes alone under its own token: the failed group may have landed under the group's.
    const retry = tracked(co.insert('events', rows('b'), { dedupToken: 'tok-b' }))
    await vi.waitFor(() => expect(engine.held).toHaveLength(4))
    expect(engine.held[3]!.token).toBe('tok-b')
    engine.held[3]!.resolve()
    await retry.done
    expect(retry.error).toBeUndefined()
  })

  it('a retry of a member of a stored group is answered without writing again', async () => {
    const engine = heldEngine()
    const co = new InsertCoalescer(engine.warehouse, { tables: ['events'], maxRows: 1_000 })
    const a = co.insert('events', rows('a'), { dedupToken: 'tok-a' })
    await vi.waitFor(() => expect(engine.held).toHaveLength(1))
    const group = ['b', 'c'].map((c) => co.insert('events', rows(c), { dedupToken: `tok-${c}` }))
    engine.held[0]!.resolve()
    await vi.waitFor(() => expect(engine.held).toHaveLength(2))
    engine.held[1]!.resolve()
    await Promise.all([a, ...group])
    await co.insert('events', rows('c'), { dedupToken: 'tok-c' })
    expect(engine.held).toHaveLength(2)
    expect(co.stats.skippedRetries).toBe(1)
  })
})
