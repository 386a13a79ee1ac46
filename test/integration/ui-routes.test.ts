import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { TokenService } from '../../src/services/tokens.js'
import { type Embedded, specBody, startEmbedded } from '../support/embedded.js'

/**
 * The UI's server side on an embedded runway with RUNWAY_AUTH=required: the shell and
 * its assets are public and allow-listed; the read routes need a token, show only
 * readable namespaces, and carry the numbers of real evaluations.
 */
let e: Embedded
const tokens: Record<string, string> = {}

const call = async (path: string, token?: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${e.baseUrl}${path}`, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } })
  return { status: res.status, headers: res.headers, text: await res.text() }
}
const json = async (path: string, token?: string) => {
  const r = await call(path, token)
  return { status: r.status, body: JSON.parse(r.text) as any }
}

beforeAll(async () => {
  e = await startEmbedded({ config: { auth: loadConfig({ RUNWAY_AUTH: 'required' }).auth } })
  const service = new TokenService({ warehouse: e.runtime.warehouse, clock: e.runtime.clock, cacheTtlMs: 60_000 })
  tokens.admin = (await service.create({ name: 'root', role: 'admin', namespace: '*' }, 'test')).token
  tokens.viewer = (await service.create({ name: 'checkout-viewer', role: 'viewer', namespace: 'checkout' }, 'test')).token
  tokens.approver = (await service.create({ name: 'search-approver', role: 'approver', namespace: 'search' }, 'test')).token
  const actor = { type: 'person' as const, id: 'test' }
  for (const [id, namespace] of [['ui-a', 'checkout'], ['ui-b', 'search']] as const) {
    const out = await e.runtime.queue.enqueue(specBody({ id, namespace, layer: `l-${id}` }), actor)
    expect(out.accepted).toBe(true)
  }
})
afterAll(async () => {
  await e?.stop()
  e?.cleanup()
})

describe('UI routes', () => {
  it('serves the shell at the three paths without a token, with a CSP and gzip, and only files of the build', async () => {
    for (const path of ['/', '/exec', '/experiments/anything']) {
      const r = await call(path)
      expect(r.status, path).toBe(200)
      expect(r.headers.get('content-type')).toContain('text/html')
      expect(r.headers.get('content-security-policy')).toContain("script-src 'self'")
      expect(r.text).toContain('<div id="app">')
    }
    const gz = await fetch(`${e.baseUrl}/ui/app.js`, { headers: { 'accept-encoding': 'gzip' } })
    // fetch decodes gzip itself; the header says it was sent compressed.
    expect(gz.headers.get('content-encoding')).toBe('gzip')
    expect((await gz.text()).length).toBeGreaterThan(10_000)
    const raw = await import('node:http').then((http) => new Promise<Buffer>((resolve) => http.get(`${e.baseUrl}/ui/app.css`, { headers: { 'accept-encoding': 'gzip' } }, (res) => { const parts: Buffer[] = []; res.on('data', (d: Buffer) => parts.push(d)); res.on('end', () => resolve(Buffer.concat(parts))) })))
    expect(gunzipSync(raw).toString()).toContain('.uplot')
    const etag = (await call('/ui/app.css')).headers.get('etag')!
    expect((await call('/ui/app.css', undefined, { 'if-none-match': etag })).status).toBe(304)
    for (const bad of ['/ui/..%2Fpackage.json', '/ui/index.html', '/ui/nope.js', '/ui/%2e%2e%2f%2e%2e%2fpackage.json']) expect((await call(bad)).status, bad).toBe(404)
  })

  it('tells the page whether a token is needed, and who the token is', async () => {
    expect(await json('/v1/ui/auth')).toEqual({ status: 200, body: { auth: 'required' } })
    expect((await json('/v1/ui/session')).status).toBe(401)
    const viewer = await json('/v1/ui/session', tokens.viewer)
    expect(viewer.body).toMatchObject({ auth: 'required', principal: { name: 'checkout-viewer' }, act: [], approve: [], features: { slis: true, interference: true } })
    const approver = await json('/v1/ui/session', tokens.approver)
    expect(approver.body).toMatchObject({ act: ['search'], approve: ['search'] })
  })

  it('read routes need read in the experiment namespace; summaries list only readable namespaces', async () => {
    expect((await json('/v1/experiments/ui-a/verdicts')).status).toBe(401)
    expect((await json('/v1/experiments/ui-b/verdicts', tokens.viewer)).status).toBe(403)
    expect((await json('/v1/experiments/ui-b/exposures', tokens.viewer)).status).toBe(403)
    expect((await json('/v1/experiments/ui-a/verdicts', tokens.viewer)).body).toMatchObject({ experimentId: 'ui-a', total: 0, verdicts: [] })
    const yaml = await call('/v1/experiments/ui-a/spec.yaml', tokens.viewer)
    expect(yaml.text).toMatch(/^id: ui-a$/m)
    expect((await json('/v1/experiments/ui-a/verdicts?limit=3', tokens.viewer)).status).toBe(400)
    expect((await json('/v1/experiments/ui-a/verdicts?bogus=1', tokens.viewer)).status).toBe(400)
    const ops = await json('/v1/ops/summary', tokens.viewer)
    expect(ops.status).toBe(200)
    expect(ops.body.slis).toHaveProperty('telemetryAttachRate')
    expect(ops.body.sql[0].name).toBe('sql/queries/ui-recent-actions.sql')
    const exec = await json('/v1/exec/summary', tokens.viewer)
    expect(exec.status).toBe(200)
  })

  it('a verdict series carries the evidence of real evaluations, thinned by stride, with the SQL behind it', async () => {
    const { runtime, clock } = e
    await runtime.queue.scheduleTick()
    await runtime.queue.scheduleTick()
    expect((await runtime.queue.get('ui-a')).state).toBe('running')
    const events = []
    for (let u = 0; u < 400; u++) {
      const a = await runtime.gate.assign('ui-a', `u${u}`)
      if (!a.exposed) continue
      events.push(JSON.stringify({ eventId: `c-${u}`, ts: clock.now(), experimentId: 'ui-a', variant: a.variant, unitId: `u${u}`, service: 'checkout', metric: 'conversion', outcome: u % 3 === 0 }))
      events.push(JSON.stringify({ eventId: `e-${u}`, ts: clock.now(), experimentId: 'ui-a', variant: a.variant, unitId: `u${u}`, service: 'checkout', metric: 'error_rate', outcome: u % 50 === 0 }))
    }
    expect(events.length).toBeGreaterThan(20)
    const ingest = await fetch(`${e.baseUrl}/v1/events`, { method: 'POST', body: events.join('\n'), headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/x-ndjson' } })
    expect(ingest.status).toBe(200)
    for (let i = 0; i < 12; i++) {
      await clock.advanceTo(clock.now() + 60_000)
      await runtime.evaluator.evaluate('ui-a')
    }
    const all = await json('/v1/experiments/ui-a/verdicts', tokens.viewer)
    expect(all.body.stride).toBe(1)
    expect(all.body.verdicts.length).toBe(all.body.total)
    const last = all.body.verdicts.at(-1)
    expect(last.evidence.comparisons.map((c: { metric: string }) => c.metric).sort()).toEqual(['conversion', 'error_rate'])
    const primary = last.evidence.comparisons.find((c: { metric: string }) => c.metric === 'conversion')
    expect(primary.controlUnits + primary.treatmentUnits).toBe(events.length / 2)
    expect(primary.ciLow).toBeLessThan(primary.effect)
    expect(primary.ciHigh).toBeGreaterThan(primary.effect)
    expect(all.body.sql.map((q: { name: string }) => q.name)).toContain('sql/queries/variant-stats.sql')
    expect(all.body.sql[0].sql).toContain("experiment_id = 'ui-a'")
    const thin = await json('/v1/experiments/ui-a/verdicts?limit=10', tokens.viewer)
    expect(thin.body.stride).toBe(Math.ceil(all.body.total / 10))
    expect(thin.body.verdicts.at(-1).seq).toBe(last.seq)
    expect(thin.body.verdicts.length).toBeLessThan(all.body.verdicts.length)
    const exp = await json('/v1/experiments/ui-a/exposures', tokens.viewer)
    const total = exp.body.series.reduce((s: number, p: { units: Record<string, number> }) => s + Object.values(p.units).reduce((a, b) => a + b, 0), 0)
    expect(total).toBe(events.length / 2)
    expect(exp.body.misrouting).toEqual({ units: events.length / 2, misrouted: 0, share: 0 })
    const traffic = (await json('/v1/exec/summary', tokens.viewer)).body.traffic
    expect(traffic).toEqual([{ experimentId: 'ui-a', units: events.length / 2, events: events.length }])
  })
})
