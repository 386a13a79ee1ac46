/**
 * An example service using Runway through OpenFeature: a search endpoint whose ranker
 * is an experiment (flag key = experiment id, targeting key = user id), exposures
 * logged by the provider, and outcomes sent as telemetry tagged with experiment and
 * variant. Run it against a Runway API:
 *
 *   RUNWAY_URL=http://127.0.0.1:8080 PORT=3000 node --import tsx examples/search-service/server.ts
 *
 *   GET  /search?user=U[&country=DE][&platform=ios]  → {ranker, variant, reason}
 *   POST /outcome {"user", "metric", "outcome"|"value", "ts"?}  → telemetry for every experiment the user is in
 *   GET  /stats  → SDK status, exposure and telemetry counters (drops included)
 */
import { createServer, type IncomingMessage } from 'node:http'
import { OpenFeature } from '@openfeature/server-sdk'
import { ExposureLogger, httpSink, RunwayProvider, Telemetry } from 'runway/sdk'

const RUNWAY_URL = process.env.RUNWAY_URL ?? 'http://127.0.0.1:8080'
const FLAG = process.env.FLAG ?? 'search-ranker-v2'
const sink = httpSink({ baseUrl: RUNWAY_URL })
const report = (what: string) => (n: number, why: string) => console.error(JSON.stringify({ level: 'warn', msg: `${what} dropped`, count: n, why }))
const exposures = new ExposureLogger({ sink, service: 'search', onDrop: report('exposures') })
const provider = new RunwayProvider({
  client: { baseUrl: RUNWAY_URL, heartbeatMs: 1_000, staleAfterMs: 5_000, ...(process.env.TENANT ? { tenant: process.env.TENANT } : {}) },
  exposures,
})
const telemetry = new Telemetry(provider.client, { sink, service: 'search', onDrop: report('telemetry') })
await OpenFeature.setProviderAndWait(provider)
const flags = OpenFeature.getClient('search-service')

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = ''
  for await (const chunk of req) text += chunk
  return JSON.parse(text || '{}') as Record<string, unknown>
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://local')
  const reply = (status: number, value: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(value))
  }
  try {
    if (req.method === 'GET' && url.pathname === '/search') {
      const user = url.searchParams.get('user')
      if (!user) return reply(400, { error: 'user is required' })
      const context = { targetingKey: user, ...Object.fromEntries([...url.searchParams].filter(([k]) => k !== 'user')) }
      // The default is what users get whenever the experiment is not exposing: the old ranker.
      const d = await flags.getStringDetails(FLAG, 'control', context)
      return reply(200, { ranker: d.value, variant: d.variant ?? null, reason: d.reason })
    }
    if (req.method === 'POST' && url.pathname === '/outcome') {
      const b = await body(req)
      const queued = telemetry.track({
        unitId: String(b.user),
        metric: String(b.metric),
        ...(typeof b.outcome === 'boolean' ? { outcome: b.outcome } : { value: Number(b.value) }),
        // Replays of recorded traffic carry their own time; live traffic is stamped now.
        ...(typeof b.ts === 'number' ? { ts: b.ts } : {}),
      })
      return reply(202, { queued })
    }
    if (req.method === 'POST' && url.pathname === '/flush') {
      await Promise.all([exposures.flush(), telemetry.flush()])
      return reply(200, { ok: true })
    }
    if (req.method === 'GET' && url.pathname === '/stats') return reply(200, { sdk: provider.client.status(), exposures: exposures.stats(), telemetry: telemetry.stats() })
    return reply(404, { error: 'not found' })
  } catch (error) {
    return reply(500, { error: (error as Error).message })
  }
})

server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  const address = server.address()
  console.log(`listening ${typeof address === 'object' && address ? address.port : ''}`)
})

const shutdown = async () => {
  server.close()
  await Promise.all([exposures.close(), telemetry.close()])
  await OpenFeature.close()
  process.exit(0)
}
process.on('SIGTERM', () => void shutdown())
process.on('SIGINT', () => void shutdown())
