import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { namespacesWith } from '../../domain/auth.js'
import { parseWith } from '../../domain/validation.js'
import { rulesFor } from '../../domain/policy-config.js'
import { InputError } from '../../errors.js'
import type { Runtime } from '../../services/runtime.js'
import { sqlQuery } from '../../sql-files.js'
import { burnRate } from '../../stats/burn-rate.js'
import { guard, publicRoute, readableNamespaces } from '../auth.js'
import { shownSql } from './ui-sql.js'

const RecentQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }).strict()

const json = (text: string | null): unknown => {
  if (!text) return null
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

interface MetricJson { name: string; type: string; values: Array<{ value: number; labels: Record<string, string | number>; metricName?: string }> }

/** Upper bound of the histogram bucket holding quantile q (Prometheus' histogram_quantile without interpolation): null without samples. */
export function bucketQuantile(m: MetricJson | undefined, q: number): number | null {
  if (!m) return null
  const buckets = m.values.filter((v) => v.metricName?.endsWith('_bucket')).map((v) => ({ le: Number(v.labels.le), n: v.value })).sort((a, b) => a.le - b.le)
  const count = buckets.at(-1)?.n ?? 0
  if (count === 0) return null
  return buckets.find((b) => b.n >= q * count)?.le ?? null
}

/**
 * Read routes behind the on-call and executive views (docs/ui.md). Each lists
 * only experiments of namespaces the caller may read, and names its SQL.
 */
export function registerUiOpsReads(app: FastifyInstance, rt: Runtime): void {
  /** GET /v1/ui/auth: whether a token is needed, so the UI asks for one before any request is refused (the 401 would tell anyway). */
  app.get('/v1/ui/auth', publicRoute('says only whether RUNWAY_AUTH requires a token, as any 401 does'), async () => ({ auth: rt.config.auth.mode }))

  /** GET /v1/ui/session: how the UI should behave for this caller (auth mode, who, where they may act) and which optional routes exist. */
  app.get('/v1/ui/session', guard('read'), async (request) => {
    const p = request.principal
    const where = (permission: 'experiments:act' | 'experiments:approve') => (p ? [...namespacesWith(p, permission)].sort() : ['*'])
    return {
      auth: rt.config.auth.mode,
      principal: p ? { name: p.name, grants: p.grants } : null,
      act: where('experiments:act'),
      approve: where('experiments:approve'),
      features: {
        slis: app.hasRoute({ method: 'GET', url: '/v1/experiments/:id/slis' }),
        interference: app.hasRoute({ method: 'GET', url: '/v1/experiments/:id/interference' }),
      },
    }
  })

  /** GET /v1/ops/summary?limit=50: recent pauses and rollbacks with their numbers, and the queue's own SLIs from this process's metrics. */
  app.get('/v1/ops/summary', guard('read'), async (request) => {
    const { limit } = (() => {
      const parsed = parseWith(RecentQuery, request.query ?? {})
      if (!parsed.ok) throw new InputError('invalid query string', parsed.problems)
      return parsed.value
    })()
    const visible = readableNamespaces(request)
    const namespaceOf = new Map((await rt.queue.list()).map((r) => [r.spec.id, r.spec.namespace]))
    // Over-fetch so that filtering by namespace still fills the list.
    const rows = await rt.warehouse.select<{ experiment_id: string; seq: number | string; at_ms: number | string; from_state: string; to_state: string; actor_type: string; actor_id: string; reason: string; verdict_id: string; verdict_reasons: string | null }>(
      sqlQuery('ui-recent-actions'),
      { limit: limit * 4 },
    )
    const recent = rows
      .filter((r) => namespaceOf.has(r.experiment_id) && visible(namespaceOf.get(r.experiment_id)!))
      .slice(0, limit)
      .map((r) => ({ experimentId: r.experiment_id, seq: Number(r.seq), at: Number(r.at_ms), from: r.from_state, to: r.to_state, actor: { type: r.actor_type, id: r.actor_id }, reason: r.reason, verdictId: r.verdict_id || null, verdictReasons: json(r.verdict_reasons) ?? [] }))
    const metrics = (await rt.metrics.registry.getMetricsAsJSON()) as unknown as MetricJson[]
    const byName = new Map(metrics.map((m) => [m.name, m]))
    const gauge = (name: string) => byName.get(name)?.values[0]?.value ?? null
    const gate = byName.get('runway_gate_enforcement_seconds')
    const count = gate?.values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0
    return {
      recent,
      slis: {
        gateEnforcementSeconds: { count, p50: bucketQuantile(gate, 0.5), p95: bucketQuantile(gate, 0.95), p99: bucketQuantile(gate, 0.99) },
        telemetryAttachRate: gauge('runway_telemetry_attach_rate'),
        deadLetterRate: gauge('runway_dead_letter_rate'),
        evaluationLagSeconds: gauge('runway_evaluation_lag_seconds'),
        auditCompleteness: gauge('runway_audit_completeness'),
        source: `this process's /metrics (role ${rt.config.role})`,
      },
      sql: [shownSql('ui-recent-actions', { limit: limit * 4 })],
    }
  })

  /** GET /v1/exec/summary: traffic and risk per experiment, and error-budget burn per service with an SLO. */
  app.get('/v1/exec/summary', guard('read'), async (request) => {
    const visible = readableNamespaces(request)
    const records = (await rt.queue.list()).filter((r) => visible(r.spec.namespace))
    const known = new Set(records.map((r) => r.spec.id))
    const traffic = (await rt.warehouse.select<{ experiment_id: string; units: number | string; events: number | string }>(sqlQuery('ui-traffic')))
      .filter((r) => known.has(r.experiment_id))
      .map((r) => ({ experimentId: r.experiment_id, units: Number(r.units), events: Number(r.events) }))
    const latest = (await rt.warehouse.select<{ experiment_id: string; last_seq: number | string; decision: string; at_ms: number | string; evidence: string }>(sqlQuery('ui-latest-verdicts'))).filter((r) => known.has(r.experiment_id))
    const risk = latest.map((r) => {
      const ev = json(r.evidence) as { comparisons?: Array<{ role: string; metric: string; variant: string; pValue: number | null; effect: number | null }> } | null
      const guardrails = (ev?.comparisons ?? []).filter((c) => c.role === 'guardrail' && c.pValue !== null)
      const worst = guardrails.sort((a, b) => a.pValue! - b.pValue!)[0] ?? null
      return { experimentId: r.experiment_id, seq: Number(r.last_seq), decision: r.decision, at: Number(r.at_ms), guardrailP: worst?.pValue ?? null, worst }
    })
    const now = rt.clock.now()
    const budget = rulesFor(rt.config.policy, 'default').errorBudget
    const errorBudget = []
    const sql = [shownSql('ui-traffic'), shownSql('ui-latest-verdicts')]
    for (const [service, slo] of Object.entries(rt.config.policy.slos)) {
      const params = { service, metric: slo.metric, now_ms: now, long_ms: budget.window, short_ms: budget.shortWindow ?? budget.window }
      const [row] = await rt.warehouse.select<{ long_bad: number | string; long_total: number | string }>(sqlQuery('service-burn'), params)
      const bad = Number(row?.long_bad ?? 0)
      const total = Number(row?.long_total ?? 0)
      errorBudget.push({ service, metric: slo.metric, objective: slo.objective, windowMs: budget.window, threshold: budget.threshold, bad, total, burnRate: burnRate({ window: { bad, total }, slo: slo.objective }).burnRate })
      sql.push(shownSql('service-burn', params))
    }
    return { traffic, risk, errorBudget, sql }
  })
}
