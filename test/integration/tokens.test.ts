import { createHash, randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { QueryParams, TableName, Warehouse } from '../../src/ports/warehouse.js'
import { TokenService } from '../../src/services/tokens.js'
import { type Embedded, startEmbedded } from '../support/embedded.js'

/** TokenService on the real engine: what is stored, what resolves, and how long another replica trusts its cache. */
let e: Embedded
beforeAll(async () => {
  e = await startEmbedded()
})
afterAll(async () => {
  await e?.stop()
  e?.cleanup()
})

const service = (now: () => number, cacheTtlMs = 30_000) => new TokenService({ warehouse: e.runtime.warehouse, clock: e.runtime.clock, cacheTtlMs, now })

describe('TokenService', () => {
  it('stores only a SHA-256 of the token, and resolves it to its principal', async () => {
    const tokens = service(() => 0)
    const { token, record } = await tokens.create({ name: 'ci', role: 'service', namespace: 'checkout' }, 'alice')
    const rows = await e.runtime.warehouse.select<{ hash: string; all: string }>("SELECT hash, concat(toString(tuple(*))) AS all FROM api_tokens WHERE id = {id:String}", { id: record.id })
    expect(rows).toHaveLength(1)
    expect(rows[0]!.hash).toBe(createHash('sha256').update(token).digest('hex'))
    expect(rows[0]!.all).not.toContain(token.slice(20))
    expect(await tokens.resolve(token)).toEqual({ ok: true, principal: { name: 'ci', tokenId: record.id, grants: [{ role: 'service', namespace: 'checkout' }] } })
  })

  it('tells malformed, unknown and mismatched tokens apart (for logs; the API says 401 to all)', async () => {
    const tokens = service(() => 0)
    const { token } = await tokens.create({ name: 'x', role: 'viewer', namespace: '*' }, 'alice')
    expect(await tokens.resolve('rw_nope')).toEqual({ ok: false, reason: 'malformed' })
    expect(await tokens.resolve(token.replace(/^rw_[0-9a-f]{16}/, 'rw_ffffffffffffffff'))).toEqual({ ok: false, reason: 'unknown' })
    const flipped = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A')
    expect(await tokens.resolve(flipped)).toEqual({ ok: false, reason: 'mismatch' })
  })

  it('a revocation is immediate where it happens and reaches another replica when its cache entry expires', async () => {
    let wall = 1_000
    const a = service(() => wall)
    const b = service(() => wall, 30_000)
    const { token, record } = await a.create({ name: 'soon-gone', role: 'admin', namespace: 'checkout' }, 'alice')
    expect((await b.resolve(token)).ok).toBe(true) // b caches it
    const revoked = await a.revoke(record.id, 'bob')
    expect(revoked).toMatchObject({ revokedBy: 'bob', revokedAt: expect.any(Number) })
    expect(await a.resolve(token)).toEqual({ ok: false, reason: 'revoked' })
    wall += 29_000
    expect((await b.resolve(token)).ok).toBe(true)
    wall += 2_000
    expect(await b.resolve(token)).toEqual({ ok: false, reason: 'revoked' })
    // Revoking again keeps the first revocation; the list shows the newest version of each token.
    expect((await a.revoke(record.id, 'carol')).revokedBy).toBe('bob')
    expect((await a.list()).find((t) => t.id === record.id)).toMatchObject({ name: 'soon-gone', revokedBy: 'bob' })
  })

  it('refuses bad grants and names', async () => {
    const tokens = service(() => 0)
    await expect(tokens.create({ name: 'x', role: 'root', namespace: 'a' }, 'alice')).rejects.toThrow('invalid token grant')
    await expect(tokens.create({ name: 'x', role: 'viewer', namespace: 'A B' }, 'alice')).rejects.toThrow('invalid token grant')
    await expect(tokens.create({ name: ' ', role: 'viewer', namespace: 'a' }, 'alice')).rejects.toThrow('name must be')
    await expect(tokens.revoke('0000000000000000', 'alice')).rejects.toThrow('no API token')
  })
})

/** A decorator over the real warehouse that counts the reads reaching it (nothing is stubbed). */
class CountingWarehouse implements Warehouse {
  reads = 0
  constructor(private readonly inner: Warehouse) {}
  command(sql: string) {
    return this.inner.command(sql)
  }
  select<T = Record<string, unknown>>(sql: string, params?: QueryParams) {
    this.reads++
    return this.inner.select<T>(sql, params)
  }
  insert(table: TableName, rows: ReadonlyArray<Record<string, unknown>>, options?: { dedupToken?: string }) {
    return this.inner.insert(table, rows, options)
  }
  close() {
    return this.inner.close()
  }
}

const bogus = () => `rw_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}`

describe('TokenService under a flood of unknown token ids', () => {
  it('answers them in a bounded number of warehouse reads, keeps valid tokens cached, and still finds a token minted elsewhere', async () => {
    let wall = 5_000_000
    const minter = service(() => wall)
    const counted = new CountingWarehouse(e.runtime.warehouse)
    // Another replica: nothing of the minter's cache is shared with it.
    const replica = new TokenService({ warehouse: counted, clock: e.runtime.clock, cacheTtlMs: 30_000, now: () => wall })
    const { token: valid } = await minter.create({ name: 'ci', role: 'service', namespace: 'checkout' }, 'alice')
    expect((await replica.resolve(valid)).ok).toBe(true)
    expect(counted.reads).toBe(1)

    // 20,000 distinct ids nobody minted (twice the unknown-id cache), all within one second.
    counted.reads = 0
    const ids = Array.from({ length: 20_000 }, bogus)
    for (const id of ids) expect(await replica.resolve(id)).toEqual({ ok: false, reason: 'unknown' })
    // The miss budget (20 single-id reads a second, one spent on the valid token), then one read of every id answers the rest.
    expect(counted.reads).toBe(20)

    // The valid token was not evicted by them: answered without a read.
    counted.reads = 0
    expect((await replica.resolve(valid)).ok).toBe(true)
    // Ids read one by one are cached as absent; the rest are answered by the id snapshot.
    for (const id of ids.slice(0, 100)) await replica.resolve(id)
    expect(counted.reads).toBe(0)

    // A token minted on another replica during the flood is found once the snapshot is a second old.
    const { token: late } = await minter.create({ name: 'late', role: 'viewer', namespace: '*' }, 'alice')
    wall += 1_000
    counted.reads = 0
    for (let i = 0; i < 5_000; i++) await replica.resolve(bogus())
    expect(counted.reads).toBe(21) // the refilled budget, then one new read of every id
    counted.reads = 0
    expect((await replica.resolve(late)).ok).toBe(true)
    expect(counted.reads).toBe(1) // the snapshot knows the id; only its row is read
  })

  it('ids found absent are cached apart from valid tokens: filling that cache never evicts a valid token', async () => {
    const wall = 9_000_000
    const counted = new CountingWarehouse(e.runtime.warehouse)
    // Small caches and a budget large enough that every bogus id is read (and cached as absent) one by one.
    const replica = new TokenService({ warehouse: counted, clock: e.runtime.clock, cacheTtlMs: 30_000, now: () => wall, limits: { validEntries: 50, unknownEntries: 50, missLookupsPerSecond: 1_000 } })
    const { token: valid } = await service(() => wall).create({ name: 'svc', role: 'service', namespace: 'checkout' }, 'alice')
    expect((await replica.resolve(valid)).ok).toBe(true)
    const ids = Array.from({ length: 200 }, bogus)
    counted.reads = 0
    for (const id of ids) await replica.resolve(id)
    expect(counted.reads).toBe(200)
    counted.reads = 0
    expect((await replica.resolve(valid)).ok).toBe(true)
    expect(counted.reads).toBe(0)
    // The newest 50 absent ids are answered from their cache; the oldest were evicted and are read again.
    for (const id of ids.slice(-50)) await replica.resolve(id)
    expect(counted.reads).toBe(0)
    await replica.resolve(ids[0]!)
    expect(counted.reads).toBe(1)
  })
})
