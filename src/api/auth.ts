import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import type { Logger } from 'pino'
import type { RunwayConfig } from '../config.js'
import { ALL_NAMESPACES, authorize, namespacesWith, type Permission, type Principal, type Scope } from '../domain/auth.js'
import type { Actor } from '../domain/lifecycle.js'
import { ForbiddenError, RunwayError, UnauthenticatedError } from '../errors.js'
import type { Runtime } from '../services/runtime.js'
import { TokenService } from '../services/tokens.js'
import { parseSpecText } from './spec-body.js'

/** Finds the namespace a request acts in; null when it spans namespaces or cannot be told (then any grant of the permission passes, and the handler answers 400/404). */
export type NamespaceOf = (request: FastifyRequest, rt: Runtime) => Scope | Promise<Scope>

/** One route parameter picks the permission (e.g. /experiments/:id/:action); unknown values need `otherwise`. */
export interface PermissionByParam {
  param: string
  byValue: Readonly<Record<string, Permission>>
  otherwise: Permission
}

/** What a route needs. Every route declares one: a mutating route without it is refused when auth is on. */
export type RouteAuth = { public: true; why: string } | { permission: Permission | PermissionByParam; namespace: NamespaceOf }

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth
  }
  interface FastifyRequest {
    /** Who the token stands for; null when auth is off (or the route is public). */
    principal: Principal | null
  }
  interface FastifyInstance {
    /** Every route registered, with its declaration (the RBAC test walks this table). */
    declaredRoutes(): readonly DeclaredRoute[]
  }
}

/** Route options declaring a permission: `app.post('/v1/x', guard('experiments:act', experimentParam('id')), handler)`. */
export function guard(permission: Permission | PermissionByParam, namespace: NamespaceOf = anyNamespace): { config: { auth: RouteAuth } } {
  return { config: { auth: { permission, namespace } } }
}

/** For routes that answer without a token (liveness), or check credentials of their own. */
export function publicRoute(why: string): { config: { auth: RouteAuth } } {
  return { config: { auth: { public: true, why } } }
}

export const anyNamespace: NamespaceOf = () => null

/** Routes over every namespace at once (the audit): a grant on `*` is needed. */
export const allNamespaces: NamespaceOf = () => ALL_NAMESPACES

/**
 * What a list may show the caller: experiments of the namespaces it may read.
 * Everything with auth off or a read grant on `*`; null (an experiment Runway
 * does not know, e.g. in a dead letter) only then.
 */
export function readableNamespaces(request: FastifyRequest): (namespace: string | null) => boolean {
  if (!request.principal) return () => true
  const readable = namespacesWith(request.principal, 'read')
  if (readable.has(ALL_NAMESPACES)) return () => true
  return (namespace) => namespace !== null && readable.has(namespace)
}

/** The namespace of the spec in the body (the schema's default when it names none). */
export const specNamespace: NamespaceOf = (request) => {
  try {
    const spec = parseSpecText(String(request.body ?? ''), 'spec') as { namespace?: unknown } | null
    if (spec && typeof spec === 'object') return typeof spec.namespace === 'string' ? spec.namespace : 'default'
  } catch {
    // Unreadable: the handler reports it, to callers holding the permission somewhere.
  }
  return null
}

/** The namespace of the experiment an id names; the gate's state is cached, so this stays cheap on the assign path. */
export function experimentNamespace(idOf: (request: FastifyRequest) => unknown): NamespaceOf {
  return async (request, rt) => {
    const id = idOf(request)
    if (typeof id !== 'string' || id === '') return null
    const record = await rt.gateState.get(id)
    return record ? record.spec.namespace : null
  }
}

/** `:name` of the path. */
export const param = (name: string) => (request: FastifyRequest) => (request.params as Record<string, unknown>)[name]
/** `?name=` of the query string. */
export const query = (name: string) => (request: FastifyRequest) => (request.query as Record<string, unknown>)[name]
/** A field of a JSON body. */
export const jsonField = (name: string) => (request: FastifyRequest) => {
  try {
    const body = JSON.parse(String(request.body ?? '')) as Record<string, unknown> | null
    return body && typeof body === 'object' ? body[name] : undefined
  } catch {
    return undefined
  }
}

/**
 * Who a ledger entry names: the token's principal when there is one; with auth
 * off, the `x-runway-actor` header (trusted then, as everything is).
 */
export function actorOf(request: FastifyRequest): Actor {
  if (request.principal) return { type: 'person', id: request.principal.name }
  const header = request.headers['x-runway-actor']
  return { type: 'person', id: typeof header === 'string' && header !== '' ? header : 'api' }
}

export interface DeclaredRoute {
  method: string
  url: string
  auth: RouteAuth | undefined
}

const READ_METHODS = new Set(['GET', 'HEAD'])

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i

/** Auth off is meant for one user on loopback; anywhere else, say so loudly at start. */
export function warnIfUnauthenticated(config: Pick<RunwayConfig, 'auth' | 'host'>, log: Pick<Logger, 'warn'>): boolean {
  if (config.auth.mode !== 'off' || LOOPBACK.test(config.host)) return false
  log.warn(
    { host: config.host, auth: 'off' },
    `RUNWAY_AUTH=off while listening on ${config.host}: anyone who can reach this port can enqueue, roll back and mint tokens. Set RUNWAY_AUTH=required (and create an admin token with \`runway token create --role admin --namespace '*' --local\`).`,
  )
  return true
}

/** GET/HEAD need `read` unless they say otherwise; anything else must declare, or it is refused. */
export function effectiveAuth(method: string, auth: RouteAuth | undefined): RouteAuth | undefined {
  return auth ?? (READ_METHODS.has(method) ? { permission: 'read', namespace: anyNamespace } : undefined)
}

export function permissionFor(request: FastifyRequest, p: Permission | PermissionByParam): Permission {
  if (typeof p === 'string') return p
  const value = (request.params as Record<string, unknown>)[p.param]
  return (typeof value === 'string' && Object.hasOwn(p.byValue, value) ? p.byValue[value] : undefined) ?? p.otherwise
}

function bearerOf(request: FastifyRequest): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')
  return m ? m[1]! : null
}

function refuse401(reply: FastifyReply, message: string, invalid: boolean): never {
  // RFC 6750: tell the client which scheme to use, and whether the token it sent was the problem.
  void reply.header('WWW-Authenticate', invalid ? 'Bearer realm="runway", error="invalid_token"' : 'Bearer realm="runway"')
  throw new UnauthenticatedError(message)
}

/**
 * Installs authentication and authorization for every route of the app,
 * including routes registered later and in child plugins. Returns the token
 * service the token routes share (one cache, so a revocation here is immediate).
 */
export function installAuth(app: FastifyInstance, rt: Runtime): { tokens: TokenService; routes: DeclaredRoute[] } {
  const tokens = new TokenService({ warehouse: rt.warehouse, clock: rt.clock, cacheTtlMs: rt.config.auth.cacheTtlMs })
  const required = rt.config.auth.mode === 'required'
  const routes: DeclaredRoute[] = []
  app.decorateRequest('principal', null)
  app.decorate('declaredRoutes', () => routes)

  app.addHook('onRoute', (route: RouteOptions) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, auth: route.config?.auth })
  })
  app.addHook('onReady', async () => {
    const undeclared = routes.filter((r) => !effectiveAuth(r.method, r.auth)).map((r) => `${r.method} ${r.url}`)
    if (undeclared.length > 0) rt.log.error({ routes: undeclared }, 'routes without an auth declaration: refused while RUNWAY_AUTH=required')
  })

  // Before the body is read: a caller without a valid token does not get a 10 MiB body parsed.
  app.addHook('onRequest', async (request, reply) => {
    if (!required || request.is404) return
    const auth = request.routeOptions.config.auth
    if (auth && 'public' in auth) return
    const token = bearerOf(request)
    if (!token) refuse401(reply, 'authentication required: send Authorization: Bearer <token> (runway token create)', false)
    const resolved = await tokens.resolve(token)
    if (!resolved.ok) {
      request.log.debug({ reason: resolved.reason, url: request.url }, 'token refused')
      refuse401(reply, resolved.reason === 'malformed' ? 'malformed API token (expected rw_<id>_<secret>)' : 'invalid or revoked API token', true)
    }
    request.principal = resolved.principal
  })

  // After parsing (a spec's namespace is in its body), before any route validation: a caller
  // without the permission learns nothing about what a valid body would be.
  app.addHook('preValidation', async (request) => {
    if (!required || request.is404) return
    const method = request.method
    const declared = request.routeOptions.config.auth
    if (declared && 'public' in declared) return
    const auth = effectiveAuth(method, declared)
    if (!auth || 'public' in auth) {
      request.log.error({ method, url: request.routeOptions.url }, 'route has no auth declaration')
      throw new RunwayError('ROUTE_NOT_DECLARED', `${method} ${request.routeOptions.url} declares no permission, so it is refused (fail closed)`)
    }
    const permission = permissionFor(request, auth.permission)
    const scope = await auth.namespace(request, rt)
    const verdict = authorize(request.principal, permission, scope)
    if (verdict.ok) return
    if (verdict.status === 401) throw new UnauthenticatedError(verdict.reason)
    throw new ForbiddenError(`forbidden: ${verdict.reason}`, { permission, namespace: scope ?? 'any' })
  })

  if (!required) rt.log.debug('RUNWAY_AUTH=off: API requests are not authenticated')
  return { tokens, routes }
}
