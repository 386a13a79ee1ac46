/**
 * Benchmark: Lan–DeMets group-sequential boundaries for 20 looks by recursive numerical
 * integration (OBF, Pocock and power-family spending). Run: npx tsx bench/stats-gst.ts
 */
import { gstBoundaries, type Spending } from '../src/stats/index.js'

const equal = Array.from({ length: 20 }, (_, k) => (k + 1) / 20)
const unequal = Array.from({ length: 20 }, (_, k) => ((k + 1) / 20) ** 1.5)
const designs: [string, number[], Spending][] = [
  ['obf, equal', equal, 'obf'],
  ['pocock, equal', equal, 'pocock'],
  ['power ρ=3, unequal', unequal, { power: 3 }],
]
for (const [name, t, spending] of designs) {
  for (let i = 0; i < 5; i++) gstBoundaries({ informationFractions: t, alpha: 0.05, spending })
  const times: number[] = []
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now()
    gstBoundaries({ informationFractions: t, alpha: 0.05, spending })
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  console.log(`${name}: median ${times[15]!.toFixed(2)} ms, p90 ${times[27]!.toFixed(2)} ms, min ${times[0]!.toFixed(2)} ms (budget 20 ms)`)
}
