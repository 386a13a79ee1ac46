import { describe, expect, it } from 'vitest'
import { niceBucketMs } from '../../../src/api/routes/ui-experiment-reads.js'
import { bucketQuantile } from '../../../src/api/routes/ui-ops-reads.js'
import { inlineSql } from '../../../src/api/routes/ui-sql.js'
import { verdictEvidence } from '../../../src/decide/verdict-evidence.js'

describe('UI helpers', () => {
  it('inlines named parameters as ClickHouse literals, quoting what could break out of a string', () => {
    const sql = 'SELECT 1 FROM t WHERE a = {a:String} AND b = {b:UInt32} AND c IN {c:Array(String)} AND d = {missing:String}'
    expect(inlineSql(sql, { a: "it's \\ here", b: 7, c: ['x', "y'"] })).toBe("SELECT 1 FROM t WHERE a = 'it\\'s \\\\ here' AND b = 7 AND c IN ['x', 'y\\''] AND d = {missing:String}")
  })

  it('picks the smallest readable bucket that fits the span into the requested count', () => {
    expect(niceBucketMs(60_000, 120)).toBe(1_000)
    expect(niceBucketMs(3 * 3_600_000, 120)).toBe(120_000)
    expect(niceBucketMs(30 * 86_400_000, 120)).toBe(21_600_000)
    expect(niceBucketMs(400 * 86_400_000, 120)).toBe(4 * 86_400_000)
  })

  it('reads a quantile from cumulative histogram buckets as the first bucket bound holding it', () => {
    const m = { name: 'h', type: 'histogram', values: [0.01, 0.1, 1, Infinity].map((le, i) => ({ value: [50, 90, 99, 100][i]!, labels: { le }, metricName: 'h_bucket' })) }
    expect(bucketQuantile(m, 0.5)).toBe(0.01)
    expect(bucketQuantile(m, 0.9)).toBe(0.1)
    expect(bucketQuantile(m, 0.95)).toBe(1)
    expect(bucketQuantile({ ...m, values: m.values.map((v) => ({ ...v, value: 0 })) }, 0.5)).toBeNull()
  })

  it('records every comparison with its interval, and non-finite numbers as null', () => {
    const c = { metric: 'm', role: 'guardrail' as const, variant: 'b', status: 'ok', controlMean: 0.1, treatmentMean: 0.2, effect: 0.1, relativeEffect: 1, method: 'msprt', welchP: 0.5, sequentialP: Number.NaN, adjustedP: 0.04, ci: [0.05, null] as [number, null], alpha: 0.05, significant: false, harmful: false, controlN: 10, treatmentN: 12 }
    expect(JSON.parse(verdictEvidence({ comparisons: [c], srm: { pValue: 0.3, status: 'ok', counts: [10, 12], test: 'sequential' } }))).toEqual({
      comparisons: [{ metric: 'm', role: 'guardrail', variant: 'b', method: 'msprt', status: 'ok', controlMean: 0.1, treatmentMean: 0.2, effect: 0.1, ciLow: 0.05, ciHigh: null, pValue: null, adjustedPValue: 0.04, controlUnits: 10, treatmentUnits: 12 }],
      srm: { pValue: 0.3, counts: [10, 12], test: 'sequential' },
    })
  })
})
