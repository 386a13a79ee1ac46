import { describe, expect, it } from 'vitest'
import { ExperimentSpecSchema } from '../../../src/domain/experiment.js'
import { MetricCatalogSchema, resolveCatalogMetrics } from '../../../src/domain/metric-catalog.js'
import { parseWith } from '../../../src/domain/validation.js'
import { InputError } from '../../../src/errors.js'

const catalog = MetricCatalogSchema.parse({
  namespaces: {
    checkout: [{ name: 'latency_p95', type: 'quantile', quantile: 0.95, source: 'latency_ms', direction: 'decrease', margin: 20, marginType: 'absolute', slo: { max: 800 } }],
    '*': [{ name: 'revenue', covariate: { prePeriod: '7d' } }, { name: 'latency_p95', type: 'quantile', quantile: 0.5 }],
  },
})
const spec = (namespace: string, metrics: unknown) => ({ id: 'e', namespace, variants: [{ name: 'a', weight: 1 }, { name: 'b', weight: 1 }], metrics })

describe('metric catalog', () => {
  it('replaces names by the namespace definition first, then "*"; margins only on guardrails', () => {
    const resolved = resolveCatalogMetrics(spec('checkout', { primary: 'revenue', guardrails: ['latency_p95'] }), catalog)
    const parsed = parseWith(ExperimentSpecSchema, resolved)
    expect(parsed.ok, JSON.stringify(parsed)).toBe(true)
    if (!parsed.ok) return
    expect(parsed.value.metrics.primary.covariate).toEqual({ prePeriod: 7 * 86_400_000 })
    expect(parsed.value.metrics.guardrails[0]).toMatchObject({ quantile: 0.95, margin: 20, marginType: 'absolute' })
    const asPrimary = resolveCatalogMetrics(spec('checkout', { primary: 'latency_p95' }), catalog) as any
    expect(asPrimary.metrics.primary).not.toHaveProperty('margin')
    expect(asPrimary.metrics.primary.quantile).toBe(0.95)
    const other = resolveCatalogMetrics(spec('search', { primary: 'latency_p95' }), catalog) as any
    expect(other.metrics.primary.quantile).toBe(0.5)
  })

  it('refuses unknown names at their path, and references without a catalog', () => {
    const err = (() => { try { resolveCatalogMetrics(spec('checkout', { primary: 'revenue', guardrails: ['nope'] }), catalog) } catch (e) { return e } })() as InputError
    expect(err).toBeInstanceOf(InputError)
    expect(err.problems).toEqual([{ path: 'metrics.guardrails[0]', message: 'metric "nope" is not in the catalog of namespace "checkout" or "*" (RUNWAY_METRIC_CATALOG)' }])
    expect(() => resolveCatalogMetrics(spec('checkout', { primary: 'revenue' }), null)).toThrow(InputError)
  })

  it('refuses invalid catalog entries with their path', () => {
    const bad = MetricCatalogSchema.safeParse({ namespaces: { checkout: [{ name: 'p', type: 'quantile' }, { name: 'x', typo: 1 }] } })
    expect(bad.success).toBe(false)
    expect(bad.error!.issues.map((i) => i.path.join('.'))).toEqual(['namespaces.checkout.0.quantile', 'namespaces.checkout.1'])
  })
})
