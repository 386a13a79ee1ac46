import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { publicRoute } from '../auth.js'

/** Built by `npm run build` (ui/build.mjs) into dist/ui, beside the compiled server; the same path from src/ and dist/. */
export const UI_DIR = fileURLToPath(new URL('../../../dist/ui/', import.meta.url))

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
}

interface Asset { body: Buffer; gzip: Buffer; type: string; etag: string }

/** Every file of the build, read once: only these names are served (an allow-list, so no path ever reaches the file system). */
export function loadUiAssets(dir = UI_DIR): Map<string, Asset> | null {
  if (!existsSync(`${dir}index.html`)) return null
  const assets = new Map<string, Asset>()
  for (const name of readdirSync(dir)) {
    const type = TYPES[name.slice(name.lastIndexOf('.'))]
    if (!type) continue
    const body = readFileSync(`${dir}${name}`)
    assets.set(name, { body, gzip: gzipSync(body, { level: 9 }), type, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 20)}"` })
  }
  return assets
}

// The page holds no data: everything comes from the API with the caller's token, so the
// shell and its assets are public. No inline script, nothing from another origin.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
const shell = publicRoute('the web UI shell and its static assets: no data; the page calls the API with the token the person signs in with')

function send(request: FastifyRequest, reply: FastifyReply, asset: Asset) {
  void reply.header('content-type', asset.type).header('etag', asset.etag).header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').header('vary', 'accept-encoding')
  if (asset.type.startsWith('text/html')) void reply.header('content-security-policy', CSP).header('referrer-policy', 'no-referrer')
  if (request.headers['if-none-match'] === asset.etag) return reply.status(304).send()
  if (/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) return reply.header('content-encoding', 'gzip').send(asset.gzip)
  return reply.send(asset.body)
}

/** The web UI (docs/ui.md): `/` on-call, `/exec` executive, `/experiments/:id` one experiment; assets under /ui/. */
export function registerUiRoutes(app: FastifyInstance, assets = loadUiAssets()): void {
  const page = async (request: FastifyRequest, reply: FastifyReply) => {
    const index = assets?.get('index.html')
    if (!index) return reply.status(503).header('content-type', 'text/plain; charset=utf-8').send('The web UI is not built: run `npm run build` (it writes dist/ui).\n')
    return send(request, reply, index)
  }
  app.get('/', shell, page)
  app.get('/exec', shell, page)
  app.get('/experiments/:id', shell, page)
  app.get<{ Params: { file: string } }>('/ui/:file', shell, async (request, reply) => {
    const asset = assets?.get(request.params.file)
    if (!asset || request.params.file === 'index.html') return reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no UI asset ${request.params.file}` } })
    return send(request, reply, asset)
  })
}
