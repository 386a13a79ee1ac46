import { describe, expect, it } from 'vitest'
import { ExperimentSpecSchema } from '../../../src/domain/experiment.js'
import { parseWith } from '../../../src/domain/validation.js'

const spec = (metrics: unknown) => ({
  id: 'exp-1',
  variants: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }],
  metrics,
})

function problems(input: unknown): string[] {
  const parsed = parseWith(ExperimentSpecSchema, input)
  if (parsed.ok) throw new Error('expected the spec to be refused')
  return parsed.problems.map((p) => `${p.path}: ${p.message}`)
}

describe('metric definitions', () => {
  it('accepts every type with what it needs', () => {
    const parsed = parseWith(ExperimentSpecSchema, spec({
      primary: { name: 'revenue_per_session', type: 'ratio', numerator: 'revenue', denominator: 'sessions' },
      secondary: [
        { name: 'orders', type: 'count', covariate: { prePeriod: '7d' } },
        { name: 'converted', type: 'proportion' },
        { name: 'basket', type: 'mean', aggregation: 'sum', covariate: { metric: 'basket_before', exposure: 'page_view' } },
      ],
      guardrails: [{ name: 'latency_p95', type: 'quantile', quantile: 0.95, source: 'latency_ms', direction: 'decrease', margin: 20, marginType: 'absolute', slo: { max: 800, objective: 0.999 } }],
    }))
    expect(parsed.ok).toBe(true)
    if (!parsed.ok) return
    expect(parsed.value.metrics.secondary[0]!.covariate).toEqual({ prePeriod: 7 * 86_400_000 })
    expect(parsed.value.metrics.guardrails[0]!.slo).toEqual({ max: 800, objective: 0.999, window: 30 * 86_400_000 })
  })

  it('keeps specs written before types valid and unchanged (no type: mean)', () => {
    const parsed = parseWith(ExperimentSpecSchema, spec({ primary: { name: 'conversion' }, guardrails: [{ name: 'latency', direction: 'decrease', margin: 0.1, slo: { max: 300 } }] }))
    expect(parsed.ok).toBe(true)
    if (!parsed.ok) return
    expect(parsed.value.metrics.primary).toEqual({ name: 'conversion', direction: 'increase', aggregation: 'mean' })
  })

  it('refuses invalid combinations, naming the path', () => {
    expect(problems(spec({ primary: { name: 'rps', type: 'ratio', numerator: 'revenue' } }))).toEqual(['metrics.primary.denominator: a ratio metric needs denominator (an event metric)'])
    expect(problems(spec({ primary: { name: 'rps', type: 'ratio', numerator: 'a', denominator: 'a' } }))).toEqual(['metrics.primary.denominator: must differ from numerator'])
    expect(problems(spec({ primary: { name: 'p95', type: 'quantile' } }))).toEqual(['metrics.primary.quantile: a quantile metric needs quantile, e.g. 0.95'])
    expect(problems(spec({ primary: { name: 'x' }, secondary: [{ name: 'y', quantile: 0.5 }] }))).toEqual(['metrics.secondary[0].quantile: only for type quantile (this metric is mean)'])
    expect(problems(spec({ primary: { name: 'x', type: 'count', aggregation: 'sum' } }))).toEqual(['metrics.primary.aggregation: only for type mean (this metric is count)'])
    expect(problems(spec({ primary: { name: 'x', type: 'quantile', quantile: 0.9, covariate: {} } }))).toEqual(['metrics.primary.covariate: CUPED is supported for mean, count and proportion metrics (this metric is quantile)'])
    expect(problems(spec({ primary: { name: 'x' }, guardrails: [{ name: 'lat', slo: { objective: 0.99 } }] }))).toEqual(['metrics.guardrails[0].slo: needs max or min (the bad-event threshold)'])
    expect(problems(spec({ primary: { name: 'x' }, guardrails: [{ name: 'lat', slo: { min: 5, max: 1 } }] }))).toEqual(['metrics.guardrails[0].slo.min: must be <= max (1)'])
    expect(problems(spec({ primary: { name: 'x', type: 'median' } }))[0]).toMatch(/^metrics\.primary\.type: /)
    expect(problems(spec({ primary: { name: 'x', covariate: { prePeriod: '7d', metricc: 'y' } } }))[0]).toMatch(/^metrics\.primary\.covariate/)
  })
})
