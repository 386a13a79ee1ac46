import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../../src/config.js'
import { DEFAULT_POLICY_CONFIG } from '../../../src/domain/policy-config.js'
import { NotifyService } from '../../../src/services/notify.js'
import { RunwayMetrics } from '../../../src/services/metrics.js'
import type { Warehouse } from '../../../src/ports/warehouse.js'

/**
 * deploy/prometheus/rules.yml: promtool (Debian's prometheus package, installed by
 * scripts/setup-promtool.sh) checks it and runs its unit tests, and every metric it
 * reads is one /metrics exports.
 */
const ROOT = new URL('../../../', import.meta.url).pathname
const RULES = `${ROOT}deploy/prometheus/rules.yml`
const promtool = (() => {
  const out = execFileSync('bash', [`${ROOT}scripts/setup-promtool.sh`], { encoding: 'utf8' }).trim().split('\n').pop() ?? ''
  return out.replace(/^PROMTOOL=/, '')
})()

describe('Prometheus rules for the queue SLOs', () => {
  it('pass promtool check rules', () => {
    const r = spawnSync(promtool, ['check', 'rules', RULES], { encoding: 'utf8' })
    expect(r.stdout + r.stderr).toContain('SUCCESS')
    expect(r.status).toBe(0)
  })

  it('pass promtool test rules (each alert fires on a burning series, none at 1x)', () => {
    const r = spawnSync(promtool, ['test', 'rules', `${ROOT}deploy/prometheus/rules.test.yml`], { encoding: 'utf8' })
    expect(r.stdout + r.stderr, r.stdout + r.stderr).toContain('SUCCESS')
    expect(r.status).toBe(0)
  })

  it('read only metrics that /metrics exports', async () => {
    const clock = { now: () => 0, every: () => () => {} }
    const metrics = new RunwayMetrics({ list: async () => [] }, clock, { defaultMetrics: false, journal: { pendingEntries: 0 } })
    const config = loadConfig({ RUNWAY_WEBHOOK_URLS: 'http://127.0.0.1:1/hook' })
    const warehouse = { select: async () => [], insert: async () => {}, command: async () => {}, close: async () => {} } as unknown as Warehouse
    new NotifyService({ config: config.notify, policy: DEFAULT_POLICY_CONFIG, warehouse, state: { get: async () => null }, clock, log: pino({ level: 'silent' }), registry: metrics.registry })
    const exported = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name))
    const text = readFileSync(RULES, 'utf8').replace(/^\s*#.*$/gm, '')
    const used = new Set([...text.matchAll(/(?<![:\w])(runway_[a-z_]+)/g)].map((m) => m[1]!.replace(/_(bucket|count|sum)$/, '')))
    expect(used.size).toBeGreaterThanOrEqual(6)
    for (const name of used) expect(exported, name).toContain(name)
  })
})
