import type { FastifyInstance } from 'fastify'
import { stringify as toYaml } from 'yaml'
import { z } from 'zod'
import { assignmentSqlParams } from '../../domain/assignment-sql.js'
import { metricsOf } from '../../domain/experiment.js'
import { parseWith } from '../../domain/validation.js'
import { InputError } from '../../errors.js'
import type { Runtime } from '../../services/runtime.js'
import { sqlQuery } from '../../sql-files.js'
import { experimentNamespace, guard, param } from '../auth.js'
import { shownSql } from './ui-sql.js'

const SeriesQuery = z.object({ limit: z.coerce.number().int().min(10).max(5000).default(600) }).strict()
const ExposureQuery = z.object({ buckets: z.coerce.number().int().min(2).max(2000).default(120) }).strict()

function parseQuery<T>(schema: z.ZodType<T>, query: unknown): T {
  const parsed = parseWith(schema, query ?? {})
  if (!parsed.ok) throw new InputError('invalid query string', parsed.problems)
  return parsed.value
}

function json(text: string): unknown {
  if (text === '') return null
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

/** Bucket widths a chart reads well: 1s … 1d steps. */
const NICE_MS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map((s) => s * 1000)
export const niceBucketMs = (spanMs: number, buckets: number) => NICE_MS.find((b) => b * buckets >= spanMs) ?? Math.ceil(spanMs / buckets / 86_400_000) * 86_400_000

interface SeriesRow { seq: number | string; at_ms: number | string; decision: string; step: number | string; needs_approval: boolean | number; reasons: string; evidence: string }

/**
 * Read routes behind the experiment view (docs/ui.md): verdict history with the
 * evidence each verdict was decided on, and exposures over time per variant.
 * Each answer names the SQL behind its numbers.
 */
export function registerUiExperimentReads(app: FastifyInstance, rt: Runtime): void {
  const scoped = guard('read', experimentNamespace(param('id')))

  /** GET /v1/experiments/:id/verdicts?limit=600: verdicts in order, thinned to about `limit` (acting verdicts and the newest always kept). */
  app.get<{ Params: { id: string } }>('/v1/experiments/:id/verdicts', scoped, async (request) => {
    const { limit } = parseQuery(SeriesQuery, request.query)
    const record = await rt.queue.get(request.params.id)
    const id = record.spec.id
    const [count] = await rt.warehouse.select<{ n: number | string; last_seq: number | string }>(sqlQuery('ui-verdict-count'), { experiment: id })
    const total = Number(count?.n ?? 0)
    const lastSeq = Number(count?.last_seq ?? 0)
    const stride = Math.max(1, Math.ceil(total / limit))
    const params = { experiment: id, stride, last_seq: lastSeq }
    const rows = total === 0 ? [] : await rt.warehouse.select<SeriesRow>(sqlQuery('ui-verdict-series'), params)
    return {
      experimentId: id,
      total,
      stride,
      verdicts: rows.map((r) => ({
        seq: Number(r.seq),
        at: Number(r.at_ms),
        decision: r.decision,
        step: Number(r.step) + 1,
        needsApproval: r.needs_approval === true || Number(r.needs_approval) === 1,
        reasons: json(r.reasons) ?? [],
        evidence: json(r.evidence),
      })),
      sql: [
        shownSql('ui-verdict-series', params),
        // What each verdict's numbers were computed from, at evaluation time.
        ...metricsOf(record.spec).map(({ metric: m }) => shownSql('variant-stats', { experiment: id, metric: m.source ?? m.name, type: m.type ?? 'mean', aggregation: m.aggregation })),
        shownSql('variant-units', { experiment: id }),
      ],
    }
  })

  /** GET /v1/experiments/:id/spec.yaml: the stored spec (defaults filled in) as YAML, as `runway enqueue` takes it. */
  app.get<{ Params: { id: string } }>('/v1/experiments/:id/spec.yaml', scoped, async (request, reply) => {
    const record = await rt.queue.get(request.params.id)
    return reply.header('content-type', 'application/yaml; charset=utf-8').send(toYaml(record.spec))
  })

  /** GET /v1/experiments/:id/exposures?buckets=120: new units per variant per bucket, and misrouting against the gate's hash. */
  app.get<{ Params: { id: string } }>('/v1/experiments/:id/exposures', scoped, async (request) => {
    const { buckets } = parseQuery(ExposureQuery, request.query)
    const record = await rt.queue.get(request.params.id)
    const id = record.spec.id
    const [span] = await rt.warehouse.select<{ first_ms: number | string | null; last_ms: number | string | null }>(sqlQuery('ui-event-span'), { experiment: id })
    const first = Number(span?.first_ms ?? 0)
    const last = Number(span?.last_ms ?? 0)
    const variants = record.spec.variants.map((v) => v.name)
    const sql = [shownSql('ui-event-span', { experiment: id })]
    if (!span || first <= 0 || last < first) return { experimentId: id, bucketMs: null, variants, series: [], misrouting: null, sql }
    const bucketMs = niceBucketMs(Math.max(1, last - first), buckets)
    const params = { experiment: id, bucket_ms: bucketMs }
    const rows = await rt.warehouse.select<{ t_ms: number | string; variant: string; units: number | string }>(sqlQuery('ui-exposures'), params)
    sql.push(shownSql('ui-exposures', params))
    const byT = new Map<number, Record<string, number>>()
    for (const r of rows) {
      const t = Number(r.t_ms)
      const row = byT.get(t) ?? Object.fromEntries(variants.map((v) => [v, 0]))
      row[r.variant] = Number(r.units)
      byT.set(t, row)
    }
    let misrouting: { units: number; misrouted: number; share: number } | null = null
    if (record.allocation) {
      // ui-misrouting.sql: misrouting-summary.sql's cumulative numbers in one pass (the recent window is the evaluation's concern).
      const mparams = { experiment: id, ...assignmentSqlParams({ ...record.spec, allocation: record.allocation, exposure: record.spec.rollout.steps[record.step]?.exposure ?? 0 }) }
      const [m] = await rt.warehouse.select<{ units: number | string; misrouted: number | string }>(sqlQuery('ui-misrouting'), mparams as never)
      const units = Number(m?.units ?? 0)
      const misrouted = Number(m?.misrouted ?? 0)
      misrouting = { units, misrouted, share: units > 0 ? misrouted / units : 0 }
      sql.push(shownSql('ui-misrouting', mparams))
    }
    return {
      experimentId: id,
      bucketMs,
      variants,
      series: [...byT.entries()].sort((a, b) => a[0] - b[0]).map(([t, units]) => ({ t, units })),
      misrouting,
      sql,
    }
  })
}
