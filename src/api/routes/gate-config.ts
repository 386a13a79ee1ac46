import type { ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { Slug } from '../../domain/experiment.js'
import type { GateConfig } from '../../domain/gate-config.js'
import { InputError } from '../../errors.js'
import type { Runtime } from '../../services/runtime.js'
import { guard, type NamespaceOf } from '../auth.js'

const etagOf = (c: GateConfig) => `"${c.version}-${c.checksum}"`

function tenantOf(query: Record<string, string | undefined>): string | null {
  const t = query.tenant
  if (t === undefined || t === '') return null
  const parsed = Slug.safeParse(t)
  if (!parsed.success) throw new InputError(`tenant: ${parsed.error.issues[0]?.message ?? 'invalid'}`)
  return parsed.data
}

/** Heartbeat cadence a client may ask for (it sets how fast the client notices a dead stream). */
function heartbeatOf(query: Record<string, string | undefined>): number {
  const ms = Number(query.heartbeat ?? 10_000)
  return Number.isFinite(ms) ? Math.min(60_000, Math.max(100, Math.round(ms))) : 10_000
}

/** One serialization per config version, however many streams carry it. */
const configFrames = new WeakMap<GateConfig, string>()
function configFrame(config: GateConfig): string {
  let text = configFrames.get(config)
  if (text === undefined) configFrames.set(config, (text = frame('config', config, config.version)))
  return text
}

const frame = (event: string, data: unknown, id?: number) => `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`

/**
 * GET /v1/gate/config[?tenant=T]: the config, with an ETag (If-None-Match → 304).
 * GET /v1/gate/stream[?tenant=T][&heartbeat=ms]: server-sent events: `config` with the
 * whole config on connect and on every new version, `heartbeat` with the current version
 * in between (a client that sees a newer version than it holds knows it missed one).
 */
export function registerGateConfigRoutes(app: FastifyInstance, rt: Runtime): void {
  // One tenant's config needs read there; every tenant's at once needs read on `*`.
  const tenantScope: NamespaceOf = (request) => {
    const t = (request.query as Record<string, unknown>).tenant
    return typeof t === 'string' && t !== '' ? t : '*'
  }
  const open = new Set<ServerResponse>()
  // Streams never end by themselves: end them so that closing the server does not wait on them.
  app.addHook('preClose', async () => {
    for (const res of open) res.end()
    open.clear()
  })

  app.get<{ Querystring: Record<string, string | undefined> }>('/v1/gate/config', guard('read', tenantScope), async (request, reply) => {
    const config = await rt.gateConfig.current(tenantOf(request.query))
    const etag = etagOf(config)
    void reply.header('etag', etag).header('cache-control', 'no-cache')
    if (request.headers['if-none-match'] === etag) return reply.status(304).send()
    return config
  })

  app.get<{ Querystring: Record<string, string | undefined> }>('/v1/gate/stream', guard('read', tenantScope), async (request, reply) => {
    const tenant = tenantOf(request.query)
    const heartbeatMs = heartbeatOf(request.query)
    const first = await rt.gateConfig.current(tenant)
    reply.hijack()
    const res = reply.raw
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' })
    res.socket?.setNoDelay(true)
    open.add(res)
    let version = first.version
    res.write(configFrame(first))
    const unsubscribe = rt.gateConfig.subscribe(tenant, (config) => {
      if (config.version === version) return
      version = config.version
      res.write(configFrame(config))
    })
    const beat = setInterval(() => res.write(frame('heartbeat', { version, at: Date.now() })), heartbeatMs)
    const close = () => {
      clearInterval(beat)
      unsubscribe()
      open.delete(res)
    }
    res.on('close', close)
    request.raw.on('close', close)
  })
}
