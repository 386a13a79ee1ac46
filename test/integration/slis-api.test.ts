import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { TokenService } from '../../src/services/tokens.js'
import { orderStatistic } from '../../src/stats/quantile-sample.js'
import { runCli } from '../support/cli.js'
import { specBody, startEmbedded, T0, type Embedded } from '../support/embedded.js'

/**
 * GET /v1/experiments/:id/slis and `runway slis` over a real server and engine: per-minute
 * counts and sums equal the raw events posted, windows roll minutes up, p95 is near the
 * exact order statistic, and read access follows the experiment's namespace.
 */
const NS = 'checkout'
let e: Embedded
const tokens: Record<string, string> = {}
const values: Array<{ minute: number; variant: string; value: number }> = []

const get = async (path: string, token?: string) => {
  const res = await fetch(`${e.baseUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} })
  return { status: res.status, body: (await res.json()) as any }
}

beforeAll(async () => {
  e = await startEmbedded({ config: { auth: loadConfig({ RUNWAY_AUTH: 'required' }).auth } })
  const service = new TokenService({ warehouse: e.runtime.warehouse, clock: e.runtime.clock, cacheTtlMs: 60_000 })
  tokens.root = (await service.create({ name: 'root', role: 'admin', namespace: '*' }, 'test')).token
  tokens.viewer = (await service.create({ name: 'viewer', role: 'viewer', namespace: NS }, 'test')).token
  tokens.elsewhere = (await service.create({ name: 'other', role: 'viewer', namespace: 'search' }, 'test')).token
  const spec = specBody({ id: 'sli-exp', namespace: NS, metrics: { primary: { name: 'conversion' }, guardrails: [{ name: 'latency_p95', type: 'quantile', quantile: 0.95, source: 'latency_ms', direction: 'decrease', slo: { max: 400 } }] } })
  const created = await fetch(`${e.baseUrl}/v1/experiments`, { method: 'POST', body: JSON.stringify(spec), headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.root}` } })
  expect(created.status, await created.clone().text()).toBe(201)
  // The scheduler starts the experiment at its first tick (T0 + 1m); SLIs count from the start.
  await e.clock.advanceTo(T0 + 60_000)
  const started = await get('/v1/experiments/sli-exp', tokens.root)
  expect(started.body.experiment.state).toBe('running')
  const lines: string[] = []
  let seed = 3
  const rnd = () => ((seed = (seed * 16_807) % 2_147_483_647) / 2_147_483_647)
  for (let i = 0; i < 3000; i++) {
    const minute = 1 + Math.floor(i / 300) // minutes 1..10, 300 events each
    const variant = i % 2 ? 'treatment' : 'control'
    const value = Math.round(20 + 600 * rnd() ** 2)
    values.push({ minute, variant, value })
    lines.push(JSON.stringify({ eventId: `l${i}`, ts: T0 + minute * 60_000 + (i % 300) * 100, experimentId: 'sli-exp', variant, unitId: `u${i % 97}`, service: 'api', metric: 'latency_ms', value }))
  }
  const posted = await fetch(`${e.baseUrl}/v1/events`, { method: 'POST', body: lines.join('\n'), headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${tokens.root}` } })
  expect(posted.status, await posted.clone().text()).toBe(200)
  await e.clock.advanceTo(T0 + 11 * 60_000)
})

afterAll(async () => {
  await e?.stop()
  e?.cleanup()
})

describe('GET /v1/experiments/:id/slis', () => {
  it('answers per-minute counts and sums equal to the posted events, and p95 near the exact one', async () => {
    const res = await get('/v1/experiments/sli-exp/slis?metric=latency_p95&window=1m', tokens.viewer)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.source).toBe('latency_ms')
    expect(res.body.fromMs).toBe(T0 + 60_000)
    expect(res.body.points).toHaveLength(20)
    for (const p of res.body.points) {
      const minute = (p.bucketMs - T0) / 60_000
      const raw = values.filter((v) => v.minute === minute && v.variant === p.variant).map((v) => v.value)
      expect(p.events).toBe(raw.length)
      expect(p.sum).toBe(raw.reduce((s, x) => s + x, 0))
      expect(p.sumSquares).toBe(raw.reduce((s, x) => s + x * x, 0))
      const exact = orderStatistic(Float64Array.from(raw).sort(), 0.95)
      expect(Math.abs(p.p95 - exact) / exact).toBeLessThan(0.05)
    }
  })

  it('rolls minutes up: 5m buckets and one bucket since start hold the same events', async () => {
    const five = await get('/v1/experiments/sli-exp/slis?metric=latency_p95&window=5m', tokens.viewer)
    // minutes 1-4, 5-9, 10
    expect(five.body.points.filter((p: any) => p.variant === 'control').map((p: any) => p.events)).toEqual([600, 750, 150])
    const all = await get('/v1/experiments/sli-exp/slis?metric=latency_p95&window=start', tokens.viewer)
    expect(all.body.points.map((p: any) => p.events)).toEqual([1500, 1500])
  })

  it('refuses other namespaces, no token, unknown metrics and windows with a reason', async () => {
    expect((await get('/v1/experiments/sli-exp/slis', tokens.elsewhere)).status).toBe(403)
    expect((await get('/v1/experiments/sli-exp/slis')).status).toBe(401)
    const unknown = await get('/v1/experiments/sli-exp/slis?metric=nope', tokens.viewer)
    expect(unknown.status).toBe(400)
    expect(JSON.stringify(unknown.body)).toContain('latency_p95')
    expect((await get('/v1/experiments/sli-exp/slis?window=2m', tokens.viewer)).status).toBe(400)
    expect((await get('/v1/experiments/sli-exp/slis?windw=1m', tokens.viewer)).status).toBe(400)
  })

  it('the evaluation loop reads the quantile guardrail from the same events (exact p95 per variant)', async () => {
    const result = await e.runtime.evaluator.evaluate('sli-exp')
    expect(result).not.toBeNull()
    const tail = result!.outcome.comparisons.find((c) => c.metric === 'latency_p95')
    expect(tail, JSON.stringify(result!.outcome.comparisons)).toBeDefined()
    const exact = orderStatistic(Float64Array.from(values.filter((v) => v.variant === 'control').map((v) => v.value)).sort(), 0.95)
    expect(tail!.controlMean).toBe(exact)
  })

  it('runway slis prints the table and --json the series', async () => {
    const env = { RUNWAY_TOKEN: tokens.viewer! }
    const table = await runCli(['slis', 'sli-exp', '--metric', 'latency_p95', '--window', 'start', '--server', e.baseUrl], { env })
    expect(table.code, table.stderr).toBe(0)
    expect(table.stdout).toMatch(/VARIANT\s+EVENTS\s+MEAN/)
    expect(table.stdout).toMatch(/control\s+1500/)
    const json = await runCli(['slis', 'sli-exp', '--metric', 'latency_p95', '--window', '1h', '--json', '--server', e.baseUrl], { env })
    expect(json.code, json.stderr).toBe(0)
    expect(JSON.parse(json.stdout).points.map((p: any) => p.events)).toEqual([1500, 1500])
  })
})
