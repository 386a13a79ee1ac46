import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { type Grant, isGrantNamespace, isRole, type Principal, ROLES, type Role } from '../domain/auth.js'
import { toWarehouseTime } from '../domain/telemetry.js'
import { hasControlCharacters } from '../domain/validation.js'
import { InputError, NotFoundError } from '../errors.js'
import type { Clock } from '../ports/clock.js'
import type { Warehouse } from '../ports/warehouse.js'
import { sqlQuery } from '../sql-files.js'
import { BoundedTtlCache, RateBudget } from './token-cache.js'

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
  /** Overrides of the cache bounds (tests). */
  limits?: Partial<TokenCacheLimits>
}

export interface TokenCacheLimits {
  /** Tokens found in the warehouse that stay cached. */
  validEntries: number
  /** Ids found absent that stay cached: a separate bound, so bogus ids never evict valid tokens. */
  unknownEntries: number
  /** Single-id warehouse reads per second for ids in neither cache; past it, one read of every id answers them. */
  missLookupsPerSecond: number
  /** How old that read of every id may be before it is read again. */
  idSnapshotMaxAgeMs: number
}

const DEFAULT_LIMITS: TokenCacheLimits = { validEntries: 10_000, unknownEntries: 10_000, missLookupsPerSecond: 20, idSnapshotMaxAgeMs: 1_000 }

/**
 * `rw_<16 hex id>_<43 base64url secret>`. The id finds the row without the secret;
 * the secret is 32 random bytes, far beyond guessing.
 */
const TOKEN_FORMAT = /^rw_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/

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
  private readonly now: () => number
  private readonly limits: TokenCacheLimits
  private readonly valid: BoundedTtlCache<TokenRow>
  private readonly unknown: BoundedTtlCache<true>
  private readonly missBudget: RateBudget
  private ids: { set: Set<string>; at: number } | null = null
  private idsLoading: Promise<Set<string>> | null = null

  constructor(private readonly d: TokenServiceDeps) {
    this.now = d.now ?? Date.now
    this.limits = { ...DEFAULT_LIMITS, ...d.limits }
    this.valid = new BoundedTtlCache(this.limits.validEntries, d.cacheTtlMs, this.now)
    this.unknown = new BoundedTtlCache(this.limits.unknownEntries, d.cacheTtlMs, this.now)
    this.missBudget = new RateBudget(this.limits.missLookupsPerSecond, this.now)
  }

  async create(input: { name: string; role: string; namespace: string }, createdBy: string): Promise<{ token: string; record: TokenRecord }> {
    const grant = checkGrant(input)
    const name = input.name.trim()
    if (name.length === 0 || name.length > 100 || hasControlCharacters(name)) {
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

  /**
   * Found tokens and absent ids are each cached for the TTL, in caches of their own. An id
   * in neither costs a single-id read while the miss budget lasts; past it (a flood of ids
   * nobody minted), one read of every id, at most once per idSnapshotMaxAgeMs, answers them
   * all. So the warehouse sees a bounded number of reads per second whatever is sent, and a
   * real token not yet cached is still found during a flood.
   */
  private async lookup(id: string, fresh: boolean): Promise<TokenRow | null> {
    if (!fresh) {
      const known = this.valid.get(id)
      if (known) return known
      if (this.unknown.get(id)) return null
      // Not cached from the snapshot: an id minted on another replica after it was read would stay refused for the TTL.
      if (!this.missBudget.take() && !(await this.knownIds()).has(id)) return null
    }
    const [row] = await this.d.warehouse.select<TokenRow>(sqlQuery('api-token'), { id })
    this.remember(id, row ?? null)
    return row ?? null
  }

  /** Every minted id, read again when older than idSnapshotMaxAgeMs; concurrent callers share one read. */
  private async knownIds(): Promise<Set<string>> {
    if (this.ids && this.now() - this.ids.at < this.limits.idSnapshotMaxAgeMs) return this.ids.set
    this.idsLoading ??= (async () => {
      try {
        const at = this.now()
        const rows = await this.d.warehouse.select<{ id: string }>(sqlQuery('api-token-ids'))
        this.ids = { set: new Set(rows.map((r) => r.id)), at }
        return this.ids.set
      } finally {
        this.idsLoading = null
      }
    })()
    return this.idsLoading
  }

  private remember(id: string, row: TokenRow | null): void {
    if (row) {
      this.valid.set(id, row)
      this.unknown.delete(id)
      this.ids?.set.add(id)
    } else {
      this.valid.delete(id)
      this.unknown.set(id, true)
    }
  }
}

function checkGrant(input: { role: string; namespace: string }): Grant {
  const problems = []
  if (!isRole(input.role)) problems.push({ path: 'role', message: `must be one of ${ROLES.join(', ')}` })
  if (!isGrantNamespace(input.namespace)) problems.push({ path: 'namespace', message: 'must be a namespace name (a-z, 0-9, "-", "_") or * for all' })
  if (problems.length > 0) throw new InputError('invalid token grant', problems)
  return { role: input.role as Role, namespace: input.namespace }
}
