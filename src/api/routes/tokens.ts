import type { FastifyInstance, FastifyRequest } from 'fastify'
import { ALL_NAMESPACES, namespacesWith } from '../../domain/auth.js'
import { InputError } from '../../errors.js'
import type { TokenRecord, TokenService } from '../../services/tokens.js'
import { actorOf, guard, jsonField, type NamespaceOf, param } from '../auth.js'

function parseJson(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>
  } catch {
    // Reported below.
  }
  throw new InputError('expected a JSON object {"name", "role", "namespace"}')
}

/** Only what the caller administers: every token with admin on `*`, else its namespaces' tokens. */
function visibleTo(request: FastifyRequest): (t: TokenRecord) => boolean {
  if (!request.principal) return () => true
  const admin = namespacesWith(request.principal, 'tokens:admin')
  return (t) => admin.has(ALL_NAMESPACES) || admin.has(t.namespace)
}

export function registerTokenRoutes(app: FastifyInstance, tokens: TokenService): void {
  // Minting a token for a namespace needs admin there (for `*`, admin on `*`): nobody grants more than they hold.
  const grantNamespace: NamespaceOf = (request) => {
    const ns = jsonField('namespace')(request)
    return typeof ns === 'string' ? ns : null
  }
  const tokenNamespace: NamespaceOf = async (request) => {
    const id = param('id')(request)
    return typeof id === 'string' ? ((await tokens.get(id))?.namespace ?? null) : null
  }

  /** POST /v1/tokens {"name", "role", "namespace"}: 201 with the token, shown this once. */
  app.post('/v1/tokens', guard('tokens:admin', grantNamespace), async (request, reply) => {
    const body = parseJson(String(request.body ?? ''))
    const { name, role, namespace } = body
    if (typeof name !== 'string' || typeof role !== 'string' || typeof namespace !== 'string') {
      throw new InputError('name, role and namespace are required strings')
    }
    const created = await tokens.create({ name, role, namespace }, actorOf(request).id)
    return reply.status(201).send({ token: created.token, ...created.record })
  })

  app.get('/v1/tokens', guard('tokens:admin'), async (request) => ({ tokens: (await tokens.list()).filter(visibleTo(request)) }))

  /** DELETE /v1/tokens/:id: revoked from now on (other API replicas: within RUNWAY_AUTH_CACHE_TTL). */
  app.delete<{ Params: { id: string } }>('/v1/tokens/:id', guard('tokens:admin', tokenNamespace), async (request) => ({
    token: await tokens.revoke(request.params.id, actorOf(request).id),
  }))
}
