import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { runMain } from '../../support/run-main.js'
import { tempFiles } from '../../support/temp-dir.js'

const file = tempFiles('runway-validate-catalog-')
const spec = (guardrails: string, primary = '{ name: conversion }') => `id: cat-1
namespace: checkout
owner: team-a
hypothesis: B beats A
variants: [{ name: control, weight: 50 }, { name: treatment, weight: 50 }]
rollout: { steps: [{ exposure: 10 }, { exposure: 100 }] }
metrics: { primary: ${primary}, guardrails: ${guardrails} }
`
const CATALOG = `namespaces:
  checkout:
    - { name: latency_p95, type: quantile, quantile: 0.95, source: latency_ms, direction: decrease }
  "*":
    - { name: error_rate, type: proportion, direction: decrease }
`

const run = (...args: string[]) => runMain(args)

let catalog: string
beforeAll(() => {
  catalog = file('catalog.yaml', CATALOG)
})
afterEach(() => vi.unstubAllEnvs())

describe('runway validate with the metric catalog', () => {
  it('resolves names from the namespace and "*" (flag), and passes', async () => {
    const res = await run('validate', file('ok.yaml', spec('[latency_p95, error_rate]')), '--metric-catalog', catalog)
    expect(res.stdout, res.stderr).toMatch(/ok\.yaml: ok \(cat-1, 2 variants, 2 rollout steps\)/)
    expect(res.code).toBe(0)
  })

  it('refuses a name the catalog lacks, offline, at its path', async () => {
    const res = await run('validate', file('unknown.yaml', spec('[latency_p95, latency_p99]')), '--metric-catalog', catalog)
    expect(res.code).toBe(1)
    expect(res.stdout).toBe('metrics.guardrails[1]: metric "latency_p99" is not in the catalog of namespace "checkout" or "*" (RUNWAY_METRIC_CATALOG)')
    expect(res.stderr).toContain(`unknown.yaml: 1 problem(s) (metric catalog ${catalog})`)
  })

  it('reads $RUNWAY_METRIC_CATALOG as `runway serve` does; the flag wins over it', async () => {
    vi.stubEnv('RUNWAY_METRIC_CATALOG', catalog)
    expect((await run('validate', file('env.yaml', spec('[latency_p95]')))).code).toBe(0)
    const empty = file('empty.yaml', 'namespaces: {}\n')
    const res = await run('validate', file('env2.yaml', spec('[latency_p95]')), '--metric-catalog', empty)
    expect(res.code).toBe(1)
    expect(res.stdout).toContain('metrics.guardrails[0]: metric "latency_p95" is not in the catalog')
  })

  it('without a catalog a name is refused as a reference with nothing to resolve it; a primary reference too', async () => {
    const res = await run('validate', file('none.yaml', spec('[{ name: errors, direction: decrease }]', 'latency_p95')))
    expect(res.code).toBe(1)
    expect(res.stdout).toContain('metrics.primary: metric "latency_p95" is a catalog reference, but no catalog is configured')
  })

  it('a catalog that is itself invalid stops with every problem and its path', async () => {
    const bad = file('bad-catalog.yaml', 'namespaces:\n  checkout:\n    - { name: p95, type: quantile, direction: decrease, colour: red }\n')
    const res = await run('validate', file('any.yaml', spec('[p95]')), '--metric-catalog', bad)
    expect(res.code).not.toBe(0)
    expect(res.stderr).toContain('invalid metric catalog')
    expect(res.stderr).toMatch(/namespaces\.checkout\[0\]/)
  })
})
