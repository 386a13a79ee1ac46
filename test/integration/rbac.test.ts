import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { effectiveAuth, type PermissionByParam } from '../../src/api/auth.js'
import { buildServer } from '../../src/api/server.js'
import { loadConfig } from '../../src/config.js'
import { type Permission, ROLE_PERMISSIONS, ROLES, type Role } from '../../src/domain/auth.js'
import { TokenService } from '../../src/services/tokens.js'
import { type Embedded, specBody, startEmbedded } from '../support/embedded.js'

/**
 * The RBAC matrix over real HTTP on an embedded runway with RUNWAY_AUTH=required:
 * every role × every mutating route in fastify's route table (so routes added
 * later are covered), plus missing, malformed, unknown, wrong and revoked tokens.
 */

const NS = 'checkout'
const EXPERIMENT = 'rbac-exp'

/**
 * What the routes known today need, written by hand: a changed declaration fails
 * here. `scope`: the experiment's namespace, the namespace in the body, or any.
 */
// scope 'all': the permission must be held on '*' (routes that act across namespaces), so the per-namespace tokens here are all refused.
const KNOWN: Record<string, { permission: Permission | Record<string, Permission>; scope: 'namespace' | 'any' | 'all' }> = {
  'POST /v1/alerts/alertmanager': { permission: 'alert', scope: 'all' },
  'POST /v1/experiments': { permission: 'experiments:write', scope: 'namespace' },
  'POST /v1/events': { permission: 'events:write', scope: 'any' },
  'POST /v1/assign': { permission: 'read', scope: 'namespace' },
  'POST /v1/tokens': { permission: 'tokens:admin', scope: 'namespace' },
  'DELETE /v1/tokens/:id': { permission: 'tokens:admin', scope: 'namespace' },
  'POST /v1/experiments/:id/:action': {
    permission: { pause: 'experiments:act', resume: 'experiments:act', rollback: 'experiments:act', cancel: 'experiments:act', archive: 'experiments:act', approve: 'experiments:approve' },
    scope: 'namespace',
  },
}

const BODIES: Record<string, () => { body: string; type: string }> = {
  'POST /v1/experiments': () => ({ body: JSON.stringify(specBody({ id: 'rbac-new', namespace: NS })), type: 'application/json' }),
  'POST /v1/events': () => ({
    body: JSON.stringify({ eventId: `e-${Math.random()}`, ts: '2026-03-02T00:00:00.000Z', experimentId: EXPERIMENT, variant: 'control', unitId: 'u1', service: 's', metric: 'conversion', outcome: true }),
    type: 'application/x-ndjson',
  }),
  'POST /v1/assign': () => ({ body: JSON.stringify({ experimentId: EXPERIMENT, units: ['u1'] }), type: 'application/json' }),
  'POST /v1/tokens': () => ({ body: JSON.stringify({ name: 'minted', role: 'viewer', namespace: NS }), type: 'application/json' }),
}
const DEFAULT_BODY = () => ({ body: JSON.stringify({ reason: 'rbac matrix' }), type: 'application/json' })

let e: Embedded
const tokens: Record<string, string> = {}
let victimId = ''
let revoked = ''

const call = async (method: string, path: string, opts: { token?: string; authorization?: string; body?: string; type?: string } = {}) => {
  const headers: Record<string, string> = {}
  if (opts.type) headers['content-type'] = opts.type
  if (opts.token) headers.authorization = `Bearer ${opts.token}`
  if (opts.authorization) headers.authorization = opts.authorization
  const res = await fetch(`${e.baseUrl}${path}`, { method, headers, ...(opts.body !== undefined ? { body: opts.body } : {}) })
  const text = await res.text()
  let body: any = text
  try {
    body = text ? JSON.parse(text) : null
  } catch {
    // The ClickHouse endpoint answers in text.
  }
  return { status: res.status, headers: res.headers, body }
}

beforeAll(async () => {
  e = await startEmbedded({ config: { auth: loadConfig({ RUNWAY_AUTH: 'required' }).auth } })
  const service = new TokenService({ warehouse: e.runtime.warehouse, clock: e.runtime.clock, cacheTtlMs: 60_000 })
  for (const role of ROLES) tokens[role] = (await service.create({ name: `${role}-person`, role, namespace: NS }, 'test')).token
  tokens.elsewhere = (await service.create({ name: 'search-admin', role: 'admin', namespace: 'search' }, 'test')).token
  tokens.root = (await service.create({ name: 'root', role: 'admin', namespace: '*' }, 'test')).token
  const victim = await service.create({ name: 'victim', role: 'viewer', namespace: NS }, 'test')
  victimId = victim.record.id
  const gone = await service.create({ name: 'gone', role: 'admin', namespace: '*' }, 'test')
  await service.revoke(gone.record.id, 'test')
  revoked = gone.token
  const created = await call('POST', '/v1/experiments', { token: tokens.root, body: JSON.stringify(specBody({ id: EXPERIMENT, namespace: NS })), type: 'application/json' })
  expect(created.status, JSON.stringify(created.body)).toBe(201)
})
afterAll(async () => {
  await e?.stop()
  e?.cleanup()
})

const MUTATING = (method: string) => !['GET', 'HEAD', 'OPTIONS'].includes(method)

function fill(url: string, values: Record<string, string>): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => encodeURIComponent(values[name] ?? (name === 'id' ? (url.startsWith('/v1/tokens') ? victimId : EXPERIMENT) : 'x')))
}

/** Every concrete request a route stands for: one per value of a parameter that picks the permission. */
function requestsOf(method: string, url: string): Array<{ path: string; permission: Permission }> {
  const key = `${method} ${url}`
  const auth = effectiveAuth(method, e.app.declaredRoutes().find((r) => r.method === method && r.url === url)?.auth)
  if (!auth || 'public' in auth) return []
  const known = KNOWN[key]?.permission
  if (typeof auth.permission === 'string') return [{ path: fill(url, {}), permission: typeof known === 'string' ? known : auth.permission }]
  const byParam: PermissionByParam = auth.permission
  return Object.entries(byParam.byValue).map(([value, p]) => ({
    path: fill(url, { [byParam.param]: value }),
    permission: known && typeof known === 'object' ? (known[value] ?? p) : p,
  }))
}

describe('route declarations', () => {
  it('every mutating route declares a permission, and known routes declare what this test expects', () => {
    const mutating = e.app.declaredRoutes().filter((r) => MUTATING(r.method))
    expect(mutating.length).toBeGreaterThanOrEqual(Object.keys(KNOWN).length)
    const undeclared = mutating.filter((r) => !r.auth).map((r) => `${r.method} ${r.url}`)
    expect(undeclared, 'mutating routes without guard()/publicRoute()').toEqual([])
    for (const [key, want] of Object.entries(KNOWN)) {
      const [method, url] = key.split(' ') as [string, string]
      const route = mutating.find((r) => r.method === method && r.url === url)
      expect(route, key).toBeDefined()
      const auth = route!.auth!
      expect('public' in auth, key).toBe(false)
      if (!('public' in auth)) {
        expect(typeof auth.permission === 'string' ? auth.permission : auth.permission.byValue, key).toEqual(want.permission)
      }
    }
  })

  it('a route without a declaration fails closed (mutating) or needs read (GET)', async () => {
    const app = buildServer(e.runtime)
    app.post('/v1/undeclared', async () => ({ ran: true }))
    app.get('/v1/undeclared', async () => ({ ran: true }))
    try {
      const post = await app.inject({ method: 'POST', url: '/v1/undeclared', headers: { authorization: `Bearer ${tokens.root}` } })
      expect(post.statusCode).toBe(500)
      expect(post.json().error.code).toBe('ROUTE_NOT_DECLARED')
      expect((await app.inject({ method: 'GET', url: '/v1/undeclared' })).statusCode).toBe(401)
      expect((await app.inject({ method: 'GET', url: '/v1/undeclared', headers: { authorization: `Bearer ${tokens.viewer}` } })).json()).toEqual({ ran: true })
    } finally {
      await app.close()
    }
  })
})

describe('RBAC matrix: every role × every mutating route', () => {
  it('allows exactly the roles holding the permission in the namespace, and refuses bad tokens', async () => {
    const routes = e.app.declaredRoutes().filter((r) => MUTATING(r.method) && !(r.auth && 'public' in r.auth))
    const failures: string[] = []
    let checked = 0
    const expectStatus = (what: string, got: number, ok: (s: number) => boolean, body: unknown) => {
      checked++
      if (!ok(got)) failures.push(`${what}: HTTP ${got} ${JSON.stringify(body).slice(0, 200)}`)
    }
    for (const route of routes) {
      const key = `${route.method} ${route.url}`
      const scope = KNOWN[key]?.scope ?? 'namespace'
      for (const req of requestsOf(route.method, route.url)) {
        const send = (opts: { token?: string; authorization?: string }) => call(route.method, req.path, { ...opts, ...(BODIES[key] ?? DEFAULT_BODY)() })
        const what = `${route.method} ${req.path} [${req.permission}]`

        const none = await send({})
        expectStatus(`${what} without a token`, none.status, (s) => s === 401, none.body)
        if (none.headers.get('www-authenticate') !== 'Bearer realm="runway"') failures.push(`${what}: WWW-Authenticate ${none.headers.get('www-authenticate')}`)
        if (none.body?.error?.code !== 'UNAUTHENTICATED') failures.push(`${what}: 401 code ${none.body?.error?.code}`)
        const bad = {
          malformed: { authorization: 'Bearer not-a-token' },
          basic: { authorization: 'Basic dXNlcjpwYXNz' },
          wrongSecret: { token: tokens.admin!.slice(0, -4) + (tokens.admin!.endsWith('AAAA') ? 'BBBB' : 'AAAA') },
          unknownId: { token: tokens.admin!.replace(/^rw_[0-9a-f]{16}/, 'rw_0000000000000000') },
          revoked: { token: revoked },
        }
        for (const [name, opts] of Object.entries(bad)) {
          const res = await send(opts)
          expectStatus(`${what} with a ${name} token`, res.status, (s) => s === 401, res.body)
        }

        const principals: Array<[string, Role, boolean]> = ROLES.map((role) => [role, role, true])
        principals.push(['elsewhere', 'admin', false])
        for (const [tokenName, role, inNamespace] of principals) {
          const allowed = ROLE_PERMISSIONS[role].includes(req.permission) && scope !== 'all' && (inNamespace || scope === 'any')
          const res = await send({ token: tokens[tokenName]! })
          expectStatus(`${what} as ${tokenName}`, res.status, (s) => (allowed ? s !== 401 && s !== 403 && s < 500 : s === 403), res.body)
          if (!allowed && res.status === 403 && !String(res.body?.error?.message).includes(req.permission)) failures.push(`${what} as ${tokenName}: 403 does not name ${req.permission}`)
        }
      }
    }
    expect(failures).toEqual([])
    expect(checked).toBeGreaterThan(100)
  })
})

describe('reads, public routes and the ledger actor', () => {
  it('GET needs a token with read; /healthz and the ClickHouse endpoint keep their own rules', async () => {
    expect((await call('GET', '/v1/experiments')).status).toBe(401)
    const list = await call('GET', '/v1/experiments', { token: tokens.viewer })
    expect(list.status).toBe(200)
    expect((await call('GET', `/v1/experiments/${EXPERIMENT}`, { token: tokens.elsewhere })).status).toBe(403)
    expect((await call('GET', `/v1/experiments/${EXPERIMENT}`, { token: tokens.service })).status).toBe(200)
    expect((await call('GET', '/healthz')).status).toBe(200)
    expect((await call('GET', '/clickhouse/ping')).status).toBe(200)
    // With auth required the ClickHouse endpoint takes a Runway token as its password (docs/clickhouse-http.md).
    const wrong = await call('GET', '/clickhouse/?query=SELECT%201', { authorization: 'Basic ' + Buffer.from('default:wrong').toString('base64') })
    expect(wrong.body).toContain('AUTHENTICATION_FAILED')
    expect(String((await call('GET', '/clickhouse/?query=SELECT%201')).body)).toContain('AUTHENTICATION_FAILED')
    expect((await call('GET', '/clickhouse/?query=SELECT%201', { authorization: 'Basic ' + Buffer.from(`analyst:${tokens.viewer}`).toString('base64') })).body).toBe(1)
  })

  it('gate config: one tenant needs read there, every tenant needs read on *', async () => {
    expect((await call('GET', `/v1/gate/config?tenant=${NS}`, { token: tokens.service })).status).toBe(200)
    expect((await call('GET', '/v1/gate/config?tenant=search', { token: tokens.service })).status).toBe(403)
    expect((await call('GET', '/v1/gate/config', { token: tokens.admin })).status).toBe(403)
    expect((await call('GET', '/v1/gate/config', { token: tokens.root })).status).toBe(200)
    expect((await call('GET', '/v1/gate/stream', { token: tokens.viewer })).status).toBe(403)
  })

  it('lists show a caller only the namespaces it may read; the audit needs read on every namespace', async () => {
    // Two in one layer of another namespace, 60% each: the second waits for room.
    for (const id of ['rbac-search', 'rbac-search-2']) {
      const other = await call('POST', '/v1/experiments', { token: tokens.root, body: JSON.stringify(specBody({ id, namespace: 'search', layer: 'l', trafficShare: 60 })), type: 'application/json' })
      expect(other.status).toBe(201)
    }
    const ids = async (token: string, path: string, pick: (body: any) => string[]) => pick((await call('GET', path, { token })).body).sort()
    const listed = (b: any) => b.experiments.map((x: { id: string }) => x.id)
    const queued = (b: any) => b.waiting.map((x: { experimentId: string }) => x.experimentId)
    expect(await ids(tokens.viewer!, '/v1/experiments', listed)).not.toContain('rbac-search')
    expect(await ids(tokens.viewer!, '/v1/experiments', listed)).toContain(EXPERIMENT)
    expect(await ids(tokens.elsewhere!, '/v1/experiments', listed)).toEqual(['rbac-search', 'rbac-search-2'])
    expect(await ids(tokens.root!, '/v1/experiments', listed)).toEqual(expect.arrayContaining([EXPERIMENT, 'rbac-search']))
    // The queue: each caller sees its namespaces' waiting experiments, at the places everyone sees.
    expect(await ids(tokens.elsewhere!, '/v1/queue', queued)).toEqual(['rbac-search-2'])
    expect(await ids(tokens.viewer!, '/v1/queue', queued)).not.toContain('rbac-search-2')
    const rootQueue = (await call('GET', '/v1/queue', { token: tokens.root })).body.waiting.find((w: { experimentId: string }) => w.experimentId === 'rbac-search-2')
    expect(rootQueue).toMatchObject({ position: 2, reason: expect.stringContaining('needs 60%') })
    expect((await call('GET', '/v1/queue', { token: tokens.elsewhere })).body.waiting).toEqual([rootQueue])
    // Dead letters: those of experiments in readable namespaces; unknown experiments only for read on *.
    const bad = [{ experimentId: 'rbac-search', note: 'no variant' }, { experimentId: 'rbac-unknown', note: 'no variant' }].map((x) => JSON.stringify(x)).join('\n')
    expect((await call('POST', '/v1/events', { token: tokens.root, body: bad, type: 'application/x-ndjson' })).status).toBe(200)
    const dead = async (token: string) => (await call('GET', '/v1/dead-letters', { token })).body.deadLetters.map((d: { experiment_id: string }) => d.experiment_id).filter((x: string) => x === 'rbac-search' || x === 'rbac-unknown').sort() // the matrix's lines sent from another namespace are dead letters too
    expect(await dead(tokens.root!)).toEqual(['rbac-search', 'rbac-unknown'])
    expect(await dead(tokens.elsewhere!)).toEqual(['rbac-search'])
    expect(await dead(tokens.viewer!)).toEqual([])
    expect((await call('GET', '/v1/audit/verify', { token: tokens.admin })).status).toBe(403)
    expect((await call('GET', '/v1/audit/replay', { token: tokens.elsewhere })).status).toBe(403)
    expect((await call('GET', '/v1/audit/verify', { token: tokens.root })).status).toBe(200)
  })

  it('records the token principal as the actor, not the x-runway-actor header', async () => {
    const res = await fetch(`${e.baseUrl}/v1/experiments`, {
      method: 'POST',
      body: JSON.stringify(specBody({ id: 'rbac-actor', namespace: NS })),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.experimenter}`, 'x-runway-actor': 'mallory' },
    })
    expect(res.status).toBe(201)
    const detail = await call('GET', '/v1/experiments/rbac-actor', { token: tokens.viewer })
    expect(detail.body.ledger.map((l: { actor: { id: string } }) => l.actor.id)).toEqual(['experimenter-person'])
  })

  it('tokens: admins mint only within their grant, list their namespace, and a revocation is immediate', async () => {
    const json = 'application/json'
    const wide = await call('POST', '/v1/tokens', { token: tokens.admin, body: JSON.stringify({ name: 'x', role: 'admin', namespace: '*' }), type: json })
    expect(wide.status).toBe(403)
    expect(wide.body.error.message).toContain("namespace '*'")
    const minted = await call('POST', '/v1/tokens', { token: tokens.admin, body: JSON.stringify({ name: 'ci-bot', role: 'service', namespace: NS }), type: json })
    expect(minted.status).toBe(201)
    expect(minted.body).toMatchObject({ name: 'ci-bot', role: 'service', namespace: NS, createdBy: 'admin-person', revokedAt: null })
    expect(minted.body.token).toMatch(/^rw_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/)
    const ingest = await call('POST', '/v1/events', { token: minted.body.token, ...BODIES['POST /v1/events']!() })
    expect(ingest.status).toBe(200)

    const listed = await call('GET', '/v1/tokens', { token: tokens.admin })
    expect(listed.status).toBe(200)
    const namespaces = new Set(listed.body.tokens.map((t: { namespace: string }) => t.namespace))
    expect([...namespaces]).toEqual([NS])
    expect(JSON.stringify(listed.body)).not.toContain('hash')
    expect(JSON.stringify(listed.body)).not.toContain(minted.body.token)

    const revoke = await call('DELETE', `/v1/tokens/${minted.body.id}`, { token: tokens.admin })
    expect(revoke.status).toBe(200)
    expect(revoke.body.token).toMatchObject({ revokedBy: 'admin-person' })
    const after = await call('POST', '/v1/events', { token: minted.body.token, ...BODIES['POST /v1/events']!() })
    expect(after.status).toBe(401)
    expect(after.headers.get('www-authenticate')).toContain('invalid_token')
  })
})
