import { z } from 'zod'
import { InputError } from '../errors.js'
import { GuardrailSpec, metricProblems } from './metric.js'
import { formatPath } from './validation.js'

/**
 * A per-namespace catalog of metric definitions (RUNWAY_METRIC_CATALOG, YAML or JSON), so specs
 * name shared metrics instead of repeating them:
 *   namespaces:
 *     checkout:
 *       - { name: latency_p95, type: quantile, quantile: 0.95, source: latency_ms, direction: decrease }
 *     "*": [...]            # every namespace
 * A spec entry written as a plain string (`primary: latency_p95`, `guardrails: [latency_p95]`) is
 * replaced by the catalog's definition before validation: the spec's namespace first, then "*".
 * Entries are guardrail-shaped; margin fields are dropped for primary and secondary metrics.
 */
const CatalogEntry = GuardrailSpec.superRefine((m, ctx) => {
  for (const p of metricProblems(m)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message })
})

export const MetricCatalogSchema = z.strictObject({
  namespaces: z.record(z.string().min(1), z.array(z.record(z.string(), z.unknown()))).default({}),
}).superRefine((c, ctx) => {
  for (const [ns, entries] of Object.entries(c.namespaces)) {
    const names = new Set<string>()
    entries.forEach((e, i) => {
      const parsed = CatalogEntry.safeParse(e)
      if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: ['namespaces', ns, i, ...issue.path], message: issue.message })
      else if (names.has(parsed.data.name)) ctx.addIssue({ code: 'custom', path: ['namespaces', ns, i, 'name'], message: `metric "${parsed.data.name}" is defined twice` })
      else names.add(parsed.data.name)
    })
  }
})

export type MetricCatalog = z.infer<typeof MetricCatalogSchema>

const MARGIN_KEYS = ['margin', 'marginType']

/** Replaces string metric entries of a raw spec by their catalog definitions; unknown names are refused at their path. */
export function resolveCatalogMetrics(raw: unknown, catalog: MetricCatalog | null): unknown {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return raw
  const spec = raw as Record<string, unknown>
  const metrics = spec.metrics
  if (!metrics || typeof metrics !== 'object' || Array.isArray(metrics)) return raw
  const namespace = typeof spec.namespace === 'string' ? spec.namespace : 'default'
  const problems: Array<{ path: string; message: string }> = []
  const lookup = (name: string, path: PropertyKey[], guardrail: boolean): unknown => {
    const found = [...(catalog?.namespaces[namespace] ?? []), ...(catalog?.namespaces['*'] ?? [])].find((e) => e.name === name)
    if (!found) {
      problems.push({ path: formatPath(path), message: catalog ? `metric "${name}" is not in the catalog of namespace "${namespace}" or "*" (RUNWAY_METRIC_CATALOG)` : `metric "${name}" is a catalog reference, but no catalog is configured (RUNWAY_METRIC_CATALOG); write its definition instead` })
      return name
    }
    return guardrail ? { ...found } : Object.fromEntries(Object.entries(found).filter(([k]) => !MARGIN_KEYS.includes(k)))
  }
  const m = { ...(metrics as Record<string, unknown>) }
  if (typeof m.primary === 'string') m.primary = lookup(m.primary, ['metrics', 'primary'], false)
  for (const role of ['secondary', 'guardrails'] as const) {
    const list = m[role]
    if (Array.isArray(list)) m[role] = list.map((e, i) => (typeof e === 'string' ? lookup(e, ['metrics', role, i], role === 'guardrails') : e))
  }
  if (problems.length) throw new InputError('spec names metrics the catalog does not define', problems)
  return { ...spec, metrics: m }
}
