import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { type Grant, isGrantNamespace, isRole, type Principal, ROLES, type Role } from '../domain/auth.js'
import { toWarehouseTime } from '../domain/telemetry.js'
import { InputError, NotFoundError } from '../errors.js'
import type { Clock } from '../ports/clock.js'
import type { Warehouse } from '../ports/warehouse.js'
import { sqlQuery } from '../sql-files.js'

/** A token as listed: never its secret or hash. */
export interface TokenRecord {
  id: string
  name: string
  role: Role
  namespace: string
  createdAt: number
  createdBy: string
  revokedAt: number | null
  revokedBy: string
}

interface TokenRow {
  id: string
  version: number
  name: string
  role: string
  namespace: string
  hash: string
  created_ms: number | string
  created_by: string
  revoked_ms: number | string | null
  revoked_by: string
}

export type Resolution = { ok: true; principal: Principal } | { ok: false; reason: 'malformed' | 'unknown' | 'revoked' | 'mismatch' }

export interface TokenServiceDeps {
  warehouse: Warehouse
  clock: Clock
  /** How long a looked-up token (or its absence) is trusted before the warehouse is asked again. */
  cacheTtlMs: number
  /** Wall time for cache expiry (the clock above may be a simulation's). */
  now?: () => number
}

/**
 * `rw_<16 hex id>_<43 base64url secret>`. The id finds the row without the secret;
 * the secret is 32 random bytes, far beyond guessing.
 */
const TOKEN_FORMAT = /^rw_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/
const CACHE_LIMIT = 10_000

/**
 * SHA-256, not scrypt: the secrets are 256 random bits, so a fast hash leaves
 * nothing to brute-force, and a slow KDF would cost tens of milliseconds on every
 * request (or force caching secrets in memory). The hash covers the whole token,
 * binding the secret to its id.
 */
function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex')
}

/** Digests of equal length, compared without an early exit. */
function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex')
  const y = Buffer.from(b, 'hex')
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y)
}

function toRecord(r: TokenRow): TokenRecord {
  return {
    id: r.id,
    name: r.name,
    role: r.role as Role,
    namespace: r.namespace,
    createdAt: Number(r.created_ms),
    createdBy: r.created_by,
    revokedAt: r.revoked_ms === null ? null : Number(r.revoked_ms),
    revokedBy: r.revoked_by,
  }
}

/** API tokens: create (the secret is returned once), list, revoke, and resolve a bearer token to a principal. */
export class TokenService {
  private readonly cache = new Map<string, { row: TokenRow | null; at: number }>()
  private readonly now: () => number

  constructor(private readonly d: TokenServiceDeps) {
    this.now = d.now ?? Date.now
  }

  async create(input: { name: string; role: string; namespace: string }, createdBy: string): Promise<{ token: string; record: TokenRecord }> {
    const grant = checkGrant(input)
    const name = input.name.trim()
    if (name.length === 0 || name.length > 100 || /[\u0000-\u001f]/.test(name)) {
      throw new InputError('name must be 1-100 printable characters (who the ledger records as the actor)', [{ path: 'name', message: 'invalid' }])
    }
    const id = randomBytes(8).toString('hex')
    const token = `rw_${id}_${randomBytes(32).toString('base64url')}`
    const at = this.d.clock.now()
    const row: TokenRow = { id, version: 1, name, role: grant.role, namespace: grant.namespace, hash: hashOf(token), created_ms: at, created_by: createdBy, revoked_ms: null, revoked_by: '' }
    await this.write(row)
    return { token, record: toRecord(row) }
  }

  async list(): Promise<TokenRecord[]> {
    return (await this.d.warehouse.select<TokenRow>(sqlQuery('api-tokens-all'))).map(toRecord)
  }

  async get(id: string): Promise<TokenRecord | null> {
    const row = await this.lookup(id, true)
    return row ? toRecord(row) : null
  }

  /** Revoking twice keeps the first revocation. Other API replicas notice within the cache TTL. */
  async revoke(id: string, revokedBy: string): Promise<TokenRecord> {
    const row = await this.lookup(id, true)
    if (!row) throw new NotFoundError(`no API token ${id}`)
    if (row.revoked_ms !== null) return toRecord(row)
    const revoked: TokenRow = { ...row, version: Number(row.version) + 1, revoked_ms: this.d.clock.now(), revoked_by: revokedBy }
    await this.write(revoked)
    return toRecord(revoked)
  }

  /** The principal a bearer token stands for, or why there is none. */
  async resolve(token: string): Promise<Resolution> {
    const m = TOKEN_FORMAT.exec(token)
    if (!m) return { ok: false, reason: 'malformed' }
    const row = await this.lookup(m[1]!, false)
    if (!row) return { ok: false, reason: 'unknown' }
    if (!sameHash(hashOf(token), row.hash)) return { ok: false, reason: 'mismatch' }
    if (row.revoked_ms !== null) return { ok: false, reason: 'revoked' }
    const grant: Grant = { role: row.role as Role, namespace: row.namespace }
    return { ok: true, principal: { name: row.name, tokenId: row.id, grants: [grant] } }
  }

  private async write(row: TokenRow): Promise<void> {
    await this.d.warehouse.insert(
      'api_tokens',
      [
        {
          id: row.id,
          version: row.version,
          name: row.name,
          role: row.role,
          namespace: row.namespace,
          hash: row.hash,
          created_at: toWarehouseTime(Number(row.created_ms)),
          created_by: row.created_by,
          revoked_at: row.revoked_ms === null ? null : toWarehouseTime(Number(row.revoked_ms)),
          revoked_by: row.revoked_by,
        },
      ],
      { dedupToken: `api-token/${row.id}/${row.version}` },
    )
    this.remember(row.id, row)
  }

  /** Cached for the TTL, misses included, so a stream of bogus ids cannot hammer the warehouse. */
  private async lookup(id: string, fresh: boolean): Promise<TokenRow | null> {
    const hit = this.cache.get(id)
    if (!fresh && hit && this.now() - hit.at < this.d.cacheTtlMs) return hit.row
    const [row] = await this.d.warehouse.select<TokenRow>(sqlQuery('api-token'), { id })
    this.remember(id, row ?? null)
    return row ?? null
  }

  private remember(id: string, row: TokenRow | null): void {
    this.cache.delete(id)
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!)
    this.cache.set(id, { row, at: this.now() })
  }
}

function checkGrant(input: { role: string; namespace: string }): Grant {
  const problems = []
  if (!isRole(input.role)) problems.push({ path: 'role', message: `must be one of ${ROLES.join(', ')}` })
  if (!isGrantNamespace(input.namespace)) problems.push({ path: 'namespace', message: 'must be a namespace name (a-z, 0-9, "-", "_") or * for all' })
  if (problems.length > 0) throw new InputError('invalid token grant', problems)
  return { role: input.role as Role, namespace: input.namespace }
}
