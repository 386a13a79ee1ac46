import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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
