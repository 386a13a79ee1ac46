import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { loadConfig } from '../../../src/config.js'
import { runScenario } from '../../../src/sim/harness.js'
import { ScenarioSchema } from '../../../src/sim/scenario.js'
import { type Embedded, startEmbedded } from '../../support/embedded.js'

/**
 * The provisioned Grafana dashboards (deploy/grafana) against the real thing: every
 * ClickHouse panel's SQL runs on the embedded warehouse's /clickhouse endpoint, over the
 * data of a simulated scenario, and every metric a Prometheus panel names is exported by
 * /metrics.
 */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const GRAFANA = join(ROOT, 'deploy/grafana')

interface Target { refId: string; datasource: { uid: string }; rawSql?: string; expr?: string; queryType?: string }
interface Panel { id: number; title: string; type: string; datasource: { type: string; uid: string }; targets: Target[] }
interface Dashboard { uid: string; title: string; panels: Panel[]; templating: { list: Array<{ name: string; type: string; query: string; datasource?: { uid: string } }> } }

const dashboards = readdirSync(join(GRAFANA, 'dashboards'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ file: f, d: JSON.parse(readFileSync(join(GRAFANA, 'dashboards', f), 'utf8')) as Dashboard }))
const datasources = (parse(readFileSync(join(GRAFANA, 'provisioning/datasources/runway.yaml'), 'utf8')) as { datasources: Array<{ uid: string; type: string }> }).datasources
const uidType = new Map(datasources.map((d) => [d.uid, d.type]))

const sqlPanels = dashboards.flatMap(({ d }) => d.panels.flatMap((p) => p.targets.filter((t) => t.rawSql !== undefined).map((t) => ({ dashboard: d.uid, panel: p.title, sql: t.rawSql! }))))
const variableQueries = dashboards.flatMap(({ d }) => d.templating.list.filter((v) => v.type === 'query').map((v) => ({ dashboard: d.uid, panel: `variable ${v.name}`, sql: v.query })))
const promExprs = dashboards.flatMap(({ d }) => d.panels.flatMap((p) => p.targets.filter((t) => t.expr !== undefined).map((t) => ({ dashboard: d.uid, panel: p.title, expr: t.expr! }))))

const FROM = Date.parse('2026-01-01T00:00:00Z')
const TO = Date.parse('2026-12-31T00:00:00Z')
const VARIABLES: Record<string, string> = { experiment: 'search-ranker-v2', objective: '0.999', error_metric: 'error_rate' }

/**
 * What grafana-clickhouse-datasource expands before sending a query: $__timeFilter(col) to a
 * range on the column, $__timeInterval(col) to a bucket start, ${var} to the variable's value.
 * Anything else left over makes the test fail rather than send an unexpanded macro.
 */
export function expandGrafanaSql(sql: string): string {
  const out = sql
    .replace(/\$__timeFilter\(([^)]+)\)/g, (_m, col: string) => `${col} >= toDateTime(${Math.floor(FROM / 1000)}) AND ${col} <= toDateTime(${Math.floor(TO / 1000)})`)
    .replace(/\$__timeInterval\(([^)]+)\)/g, (_m, col: string) => `toStartOfInterval(toDateTime(${col}), INTERVAL 3600 second)`)
    .replace(/\$\{(\w+)\}/g, (m, name: string) => VARIABLES[name] ?? m)
  if (/\$/.test(out)) throw new Error(`unexpanded Grafana macro or variable in: ${out}`)
  return out
}

let rw: Embedded
const dir = mkdtempSync(join(tmpdir(), 'runway-grafana-'))

beforeAll(async () => {
  // The demo's first three hours: a ramp, a rollback on a guardrail, telemetry, verdicts with evidence.
  const demo = parse(readFileSync(join(ROOT, 'scenarios/demo.yaml'), 'utf8')) as Record<string, unknown>
  const scenario = ScenarioSchema.parse({ ...demo, duration: '3h' })
  const log = pino({ level: 'silent' })
  await runScenario(scenario, { config: loadConfig({}, { dataDir: join(dir, 'data'), logLevel: 'silent' }), log, dataDir: join(dir, 'data') })
  rw = await startEmbedded({ dataDir: join(dir, 'data'), now: Date.parse('2026-01-05T04:00:00Z') })
}, 180_000)

afterAll(async () => {
  await rw?.stop()
  rmSync(dir, { recursive: true, force: true })
})

async function clickhouse(sql: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${rw.baseUrl}/clickhouse/?default_format=JSON`, { method: 'POST', body: sql })
  return { status: res.status, text: await res.text() }
}

describe('Grafana provisioning (deploy/grafana)', () => {
  it('has the three views, each panel on a provisioned data source of the right type', () => {
    expect(dashboards.map(({ d }) => d.uid).sort()).toEqual(['runway-exec', 'runway-experiment', 'runway-oncall'])
    expect([...uidType.entries()].sort()).toEqual([['runway-clickhouse', 'grafana-clickhouse-datasource'], ['runway-prometheus', 'prometheus']])
    for (const { d } of dashboards) {
      expect(d.panels.length, d.uid).toBeGreaterThan(3)
      for (const p of d.panels) {
        expect(uidType.get(p.datasource.uid), `${d.uid} / ${p.title}`).toBe(p.datasource.type)
        for (const t of p.targets) {
          expect(t.datasource.uid).toBe(p.datasource.uid)
          expect(p.datasource.type === 'prometheus' ? t.expr : t.rawSql, `${d.uid} / ${p.title}`).toBeTruthy()
        }
      }
    }
  })

  it('is mounted by docker-compose.yml from files that exist', () => {
    const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, { volumes?: string[]; environment?: Record<string, string> }> }
    const grafana = compose.services.grafana!
    expect(grafana.environment!.GF_INSTALL_PLUGINS).toContain('grafana-clickhouse-datasource')
    const mounts = [...(grafana.volumes ?? []), ...(compose.services.prometheus!.volumes ?? [])].filter((v) => v.startsWith('./'))
    expect(mounts.length).toBe(4) // prometheus.yml and the SLO rules (deploy/prometheus/rules.yml)
    for (const m of mounts) expect(existsSync(join(ROOT, m.split(':')[0]!)), m).toBe(true)
    const provider = parse(readFileSync(join(GRAFANA, 'provisioning/dashboards/runway.yaml'), 'utf8')) as { providers: Array<{ options: { path: string } }> }
    expect(grafana.volumes).toContain(`./deploy/grafana/dashboards:${provider.providers[0]!.options.path}:ro`)
  })

  it('runs every panel query on the embedded warehouse SQL endpoint', async () => {
    expect(sqlPanels.length).toBeGreaterThan(15)
    const failed: string[] = []
    const rows = new Map<string, number>()
    for (const q of [...sqlPanels, ...variableQueries]) {
      const res = await clickhouse(expandGrafanaSql(q.sql))
      if (res.status !== 200) failed.push(`${q.dashboard} / ${q.panel}: HTTP ${res.status} ${res.text.slice(0, 300)}`)
      else rows.set(`${q.dashboard} / ${q.panel}`, (JSON.parse(res.text) as { rows: number }).rows)
    }
    expect(failed).toEqual([])
    // Queries over data the scenario made return it (not only parse).
    for (const panel of ['runway-experiment / Timeline', 'runway-experiment / Effect over time (with the always-valid interval)', 'runway-experiment / Units exposed per variant', 'runway-oncall / Recent rollbacks and pauses', 'runway-exec / Top experiments by traffic', 'runway-exec / Top experiments by risk', 'runway-experiment / variable experiment']) {
      expect(rows.get(panel), panel).toBeGreaterThan(0)
    }
  })

  it('names only Prometheus metrics that /metrics exports', async () => {
    const text = await (await fetch(`${rw.baseUrl}/metrics`)).text()
    const exported = new Set<string>()
    for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      exported.add(m[1]!)
      if (m[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) exported.add(`${m[1]}${s}`)
    }
    expect(promExprs.length).toBeGreaterThan(5)
    for (const p of promExprs) {
      const named = p.expr.match(/\brunway_[a-z0-9_]+/g) ?? []
      expect(named.length, p.expr).toBeGreaterThan(0)
      for (const name of named) expect(exported, `${p.dashboard} / ${p.panel}: ${name}`).toContain(name)
    }
  })
})
