/**
 * The calibration table (A/A and A/B, 2,000 experiments × 100 looks, 50 units per arm per
 * look, α = 0.05), the same runs the simulation test asserts on.
 * Run: npx tsx bench/stats-calibrate.ts [two|greater]
 */
import { calibrate } from '../src/stats/index.js'

const sided = (process.argv[2] ?? 'two') as 'two' | 'greater'
const t0 = performance.now()
const r = calibrate({ seed: 2024, experiments: 2000, looks: 100, unitsPerLook: 50, alpha: 0.05, sided })
console.log(`sided=${sided}, effect=${r.effect.toFixed(4)}σ, τ²=${r.tau2.toExponential(3)}, N*=${r.tuningN}, ${(performance.now() - t0).toFixed(0)} ms`)
console.log('| method | scenario | rejection rate | MC s.e. | mean stopping look |')
console.log('| --- | --- | --- | --- | --- |')
for (const x of r.rows) {
  console.log(`| ${x.method} | ${x.scenario} | ${x.rejectionRate.toFixed(4)} | ${x.monteCarloSe.toFixed(4)} | ${x.meanStoppingLook.toFixed(1)} |`)
}
