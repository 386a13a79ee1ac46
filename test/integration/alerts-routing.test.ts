import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'

/**
 * deploy/alertmanager/alertmanager.yml checked by Debian's amtool (installed with
 * prometheus-alertmanager by scripts/services/alertmanager.sh): the config is valid, and
 * alerts route where docs/alerts.md says — Runway's own alerts by severity and never back
 * into Runway's incident webhook, production alerts naming a service to Runway (and on).
 */
const root = fileURLToPath(new URL('../../', import.meta.url))
const file = `${root}deploy/alertmanager/alertmanager.yml`

function amtool(args: string[]): string {
  const r = spawnSync('amtool', args, { encoding: 'utf8' })
  if (r.error) throw new Error(`amtool not found: run \`bash scripts/services/alertmanager.sh start\` (installs prometheus-alertmanager) — ${r.error.message}`)
  expect(r.status, `amtool ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`).toBe(0)
  return r.stdout.trim()
}
const route = (...labels: string[]) => amtool(['config', 'routes', 'test', `--config.file=${file}`, ...labels])

describe('alertmanager.yml', () => {
  it('passes amtool check-config', () => {
    expect(amtool(['check-config', file])).toContain('SUCCESS')
  })

  it('routes Runway\'s alerts by severity and keeps them away from the incident webhook', () => {
    expect(route('alertname=runway_rolled_back', 'experiment=e1', 'service=checkout', 'severity=page')).toBe('pager')
    expect(route('alertname=runway_paused', 'experiment=e1', 'service=checkout', 'severity=ticket')).toBe('ticket')
  })

  it('sends production alerts that name a service to Runway and on to the pager', () => {
    expect(route('alertname=CheckoutErrors', 'service=checkout', 'severity=page')).toBe('runway,pager')
    expect(route('alertname=RunwayEnqueueLatencyBurn', 'severity=page')).toBe('pager')
  })

  it('Runway\'s receiver keeps resolutions on (they lift incident mode) and groups per service', () => {
    const cfg = parse(readFileSync(file, 'utf8')) as { receivers: Array<{ name: string; webhook_configs?: Array<{ url: string; send_resolved?: boolean }> }>; route: { routes: Array<{ receiver?: string; group_by?: string[] }> } }
    const runway = cfg.receivers.find((r) => r.name === 'runway')!
    expect(runway.webhook_configs![0]).toMatchObject({ url: 'http://runway-api:8080/v1/alerts/alertmanager', send_resolved: true })
    expect(cfg.route.routes.find((r) => r.receiver === 'runway')!.group_by).toEqual(['service'])
    expect(cfg.route.routes[0]!.group_by).toEqual(['experiment'])
  })

  it('docker-compose.yml runs it, points Runway at it, and Prometheus loads the SLO rules and sends to it', () => {
    const compose = parse(readFileSync(`${root}docker-compose.yml`, 'utf8'), { merge: true }) as { services: Record<string, { volumes?: string[]; environment?: Record<string, string>; healthcheck?: unknown }>; volumes: Record<string, unknown> }
    const am = compose.services.alertmanager!
    expect(am.volumes).toContain('./deploy/alertmanager:/etc/alertmanager:ro')
    expect(am.healthcheck).toBeDefined()
    expect(compose.services['runway-controller']!.environment!.RUNWAY_ALERTMANAGER_URL).toBe('http://alertmanager:9093')
    expect(compose.services.prometheus!.volumes).toContain('./deploy/prometheus/rules.yml:/etc/prometheus/rules.yml:ro')
    const prom = parse(readFileSync(`${root}deploy/grafana/prometheus.yml`, 'utf8')) as { rule_files: string[]; alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> } }
    expect(prom.rule_files).toEqual(['/etc/prometheus/rules.yml'])
    expect(prom.alerting.alertmanagers[0]!.static_configs[0]!.targets).toEqual(['alertmanager:9093'])
  })
})
