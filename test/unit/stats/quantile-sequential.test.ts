/**
 * Continuous monitoring of a tail-latency quantile: A/A experiments with clustered events
 * (several requests per user, a per-user random effect), looked at 100 times each.
 * The confidence sequence must keep the false-positive rate at α (Monte-Carlo error stated);
 * repeated fixed-horizon tests must not (that is what makes this test able to fail).
 */
import { describe, expect, it } from 'vitest'
import type { MethodConfig } from '../../../src/stats/compare.js'
import { quantileCompare } from '../../../src/stats/quantile-compare.js'
import { orderStatistic } from '../../../src/stats/quantile-sample.js'
import { quantileBoundLevels, type QuantileArmStats } from '../../../src/stats/quantile.js'
import { createRng, type Rng } from '../../../src/stats/random.js'

const LOOKS = 100
const UNITS_PER_LOOK = 15
const REPS = 400
const ALPHA = 0.05
const LEVEL = 0.95
const MAX_EVENTS = LOOKS * UNITS_PER_LOOK * 5

/** One arm's growing data: events in arrival order (value, unit) and a sorted copy kept by merging. */
class Arm {
  values = new Float64Array(MAX_EVENTS)
  unit = new Int32Array(MAX_EVENTS)
  sorted = new Float64Array(MAX_EVENTS)
  scratch = new Float64Array(MAX_EVENTS)
  n = 0
  k = 0
  add(rng: Rng): void {
    const start = this.n
    for (let i = 0; i < UNITS_PER_LOOK; i++) {
      const events = 1 + Math.floor(5 * rng.uniform()) // 1..5 requests
      const mu = 0.5 * rng.normal() // per-user effect: requests of one user are correlated
      for (let j = 0; j < events; j++) {
        this.values[this.n] = Math.exp(mu + 0.7 * rng.normal())
        this.unit[this.n++] = this.k
      }
      this.k++
    }
    const batch = this.values.slice(start, this.n).sort()
    let a = 0
    let b = 0
    for (let o = 0; o < this.n; o++) this.scratch[o] = b >= batch.length || (a < start && this.sorted[a]! <= batch[b]!) ? this.sorted[a++]! : batch[b++]!
    ;[this.sorted, this.scratch] = [this.scratch, this.sorted]
  }
  stats(clustered: boolean): QuantileArmStats {
    const sorted = this.sorted.subarray(0, this.n)
    const q = orderStatistic(sorted, LEVEL)
    const [lo, hi] = quantileBoundLevels({ events: this.n, level: LEVEL })
    const base = { events: this.n, units: this.k, quantile: q, lower: orderStatistic(sorted, lo), upper: orderStatistic(sorted, hi) }
    if (!clustered) return base
    const below = new Int32Array(this.k)
    const count = new Int32Array(this.k)
    for (let j = 0; j < this.n; j++) {
      count[this.unit[j]!]!++
      if (this.values[j]! <= q) below[this.unit[j]!]!++
    }
    let bs = 0, bss = 0, ess = 0, bes = 0
    for (let u = 0; u < this.k; u++) {
      const b = below[u]!, e = count[u]!
      bs += b; bss += b * b; ess += e * e; bes += b * e
    }
    return { ...base, belowSum: bs, belowSumSquares: bss, eventsSum: this.n, eventsSumSquares: ess, belowEventsCrossSum: bes }
  }
}

const iid = (s: QuantileArmStats): QuantileArmStats => ({ events: s.events, units: s.units, quantile: s.quantile, lower: s.lower, upper: s.upper })

function simulate(seed: number) {
  const rng = createRng({ seed })
  const confseq: MethodConfig = { method: 'confseq', alpha: ALPHA, sided: 'two', confseq: { tuningN: 2 * LOOKS * UNITS_PER_LOOK * 3 } }
  const fixed: MethodConfig = { method: 'welch', alpha: ALPHA, sided: 'two' }
  const hits = { confseq: 0, confseqIid: 0, naive: 0 }
  let firstLook = 0
  for (let r = 0; r < REPS; r++) {
    const c = new Arm()
    const t = new Arm()
    const seen = { confseq: false, confseqIid: false, naive: false }
    let first = 0
    for (let look = 1; look <= LOOKS; look++) {
      c.add(rng)
      t.add(rng)
      const [cs, ts] = [c.stats(true), t.stats(true)]
      const a = quantileCompare({ control: cs, treatment: ts, level: LEVEL, config: confseq })
      if (a.status === 'INSUFFICIENT_SAMPLE') continue
      if (a.status !== 'ok') throw new Error(`unexpected status ${a.status}`)
      if (first === 0) first = look
      seen.confseq ||= a.significant
      seen.confseqIid ||= quantileCompare({ control: iid(cs), treatment: iid(ts), level: LEVEL, config: confseq }).significant
      seen.naive ||= quantileCompare({ control: cs, treatment: ts, level: LEVEL, config: fixed }).significant
    }
    firstLook = Math.max(firstLook, first)
    for (const k of Object.keys(hits) as (keyof typeof hits)[]) if (seen[k]) hits[k]++
  }
  return { rate: { confseq: hits.confseq / REPS, confseqIid: hits.confseqIid / REPS, naive: hits.naive / REPS }, firstLook }
}

describe('quantile confidence sequence under continuous monitoring (A/A, clustered events, 100 looks)', () => {
  it(`keeps the p95 false-positive rate ≤ α + 2·MC SE; repeated fixed tests do not (${REPS} experiments, seed 14)`, () => {
    const { rate, firstLook } = simulate(14)
    const mcSe = Math.sqrt((ALPHA * (1 - ALPHA)) / REPS) // 0.0109 at 400 experiments
    console.log(`quantile A/A FPR over ${LOOKS} looks: confseq ${rate.confseq}, confseq without cluster correction ${rate.confseqIid}, repeated fixed z ${rate.naive}; MC SE ${mcSe.toFixed(4)}; first look with enough sample ${firstLook}`)
    expect(rate.confseq).toBeLessThanOrEqual(ALPHA + 2 * mcSe)
    expect(rate.naive).toBeGreaterThan(ALPHA + 4 * mcSe)
    // below the minimum sample no look may decide: p95 needs 400 events per arm (20 tail events)
    expect(firstLook).toBeGreaterThan(1)
  }, 120_000)
})
