/**
 * Benchmark: 10,000 experiment×metric comparisons with the closed-form methods
 * (Welch, mSPRT, confidence sequence; mean, proportion and ratio metrics), as the
 * evaluation job would run them. Run: npx tsx bench/stats-compare.ts
 */
import { compareArms, createRng, type ArmStats, type MethodConfig, type MetricType } from '../src/stats/index.js'

const N = 10_000
const rng = createRng({ seed: 42 })
const metrics: MetricType[] = ['mean', 'proportion', 'ratio']
const methods: MethodConfig[] = [
  { method: 'welch', alpha: 0.05, sided: 'two' },
  { method: 'msprt', alpha: 0.05, sided: 'two', msprt: { tau2: 0.01 } },
  { method: 'confseq', alpha: 0.05, sided: 'two', confseq: { tuningN: 5000 } },
  { method: 'confseq', alpha: 0.05, sided: 'greater', confseq: { tuningN: 5000 } },
]

function arm(metric: MetricType): ArmStats {
  const n = 1000 + Math.floor(rng.uniform() * 1e6)
  if (metric === 'proportion') {
    const s = Math.floor(n * (0.05 + 0.1 * rng.uniform()))
    return { n, sum: s, sumSquares: s }
  }
  const m = 5 + rng.uniform()
  const sum = n * m
  const sumSquares = n * (m * m + 4)
  return metric === 'ratio'
    ? { n, sum, sumSquares, denominatorSum: 2 * n, denominatorSumSquares: 5 * n, crossSum: 2.1 * sum }
    : { n, sum, sumSquares }
}

const cases = Array.from({ length: N }, (_, i) => {
  const metric = metrics[i % 3]!
  return { metric, control: arm(metric), treatment: arm(metric), config: methods[i % methods.length]!, lift: i % 2 ? ('relative' as const) : ('absolute' as const) }
})

function runAll(): number {
  let sig = 0
  for (const c of cases) if (compareArms(c).significant) sig++
  return sig
}

for (let i = 0; i < 5; i++) runAll() // warm-up (JIT)
const times: number[] = []
for (let i = 0; i < 30; i++) {
  const t0 = performance.now()
  runAll()
  times.push(performance.now() - t0)
}
times.sort((a, b) => a - b)
const q = (p: number) => times[Math.floor(p * (times.length - 1))]!.toFixed(1)
console.log(`${N} comparisons (mean/proportion/ratio × welch/msprt/confseq two- and one-sided, absolute/relative)`)
console.log(`median ${q(0.5)} ms, p90 ${q(0.9)} ms, min ${q(0)} ms over ${times.length} runs (budget 50 ms)`)
