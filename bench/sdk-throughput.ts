/**
 * In-process assignment throughput of the SDK (target ≥ 1,000,000/s).
 *
 *   npx tsx bench/sdk-throughput.ts [millions]
 *
 * Method: one RunwayClient holding a config of 20 running experiments (bootstrapped, no
 * server), 1,000,000 distinct ASCII unit ids ("user-<n>", built beforehand), and
 * `client.variant(experiment, unit)` called in a loop over units × experiments for
 * N million calls (default 10). Five runs after a warm-up; the median is reported.
 * A second client holds the same experiments at 100% exposure of the whole layer, so every
 * call hashes twice (layer and variant) — the worst case. The reference `assign()`
 * (TextEncoder, per-call salts) is timed the same way.
 */
import { assign } from '../src/domain/assignment.js'
import { buildGateConfig } from '../src/domain/gate-config.js'
import { ExperimentSpecSchema } from '../src/domain/experiment.js'
import { newRecord } from '../src/domain/experiment-record.js'
import { RunwayClient } from '../src/sdk/client.js'

const CALLS = Number(process.argv[2] ?? 10) * 1_000_000
const records = (full: boolean) => Array.from({ length: 20 }, (_, i) => ({
  ...newRecord(
    ExperimentSpecSchema.parse({
      id: `bench-exp-${i}`,
      layer: `layer-${i % 5}`,
      variants: [{ name: 'control', weight: 34 }, { name: 'blue', weight: 33 }, { name: 'green', weight: 33 }],
      rollout: { steps: [{ exposure: full ? 100 : 50 }] },
      metrics: { primary: { name: 'conversion' } },
    }),
    0,
  ),
  state: 'running' as const,
  ledgerSeq: 3,
  allocation: full ? { start: 0, size: 10_000 } : { start: (i % 4) * 2_500, size: 2_500 },
}))
const config = buildGateConfig({ records: records(false), tenant: null, now: Date.now() })
const client = new RunwayClient({ baseUrl: 'http://127.0.0.1:1', bootstrap: config })
const fullClient = new RunwayClient({ baseUrl: 'http://127.0.0.1:1', bootstrap: buildGateConfig({ records: records(true), tenant: null, now: Date.now() }) })
const ids = config.experiments.map((e) => e.id)
const units = Array.from({ length: 1_000_000 }, (_, i) => `user-${i}`)

function runSdk(calls: number, client: RunwayClient): { perSecond: number; exposed: number } {
  let exposed = 0
  const t0 = performance.now()
  for (let i = 0; i < calls; i++) if (client.variant(ids[i % 20]!, units[i % 1_000_000]!) !== null) exposed++
  return { perSecond: calls / ((performance.now() - t0) / 1000), exposed }
}

function runReference(calls: number): number {
  const exps = config.experiments
  const t0 = performance.now()
  for (let i = 0; i < calls; i++) {
    const e = exps[i % 20]!
    assign({ namespace: e.namespace, layer: e.layer, experimentId: e.id, allocation: e.allocation, exposurePercent: e.exposure, variants: e.variants, unitId: units[i % 1_000_000]! })
  }
  return calls / ((performance.now() - t0) / 1000)
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
runSdk(1_000_000, client)
const sdk = Array.from({ length: 5 }, () => runSdk(CALLS, client))
runSdk(1_000_000, fullClient)
const full = Array.from({ length: 5 }, () => runSdk(CALLS, fullClient))
runReference(200_000)
const ref = Array.from({ length: 5 }, () => runReference(Math.min(CALLS, 2_000_000)))
const fmt = (x: number) => `${(x / 1e6).toFixed(2)} M/s`
console.log(`SDK client.variant(): median ${fmt(median(sdk.map((r) => r.perSecond)))} (runs: ${sdk.map((r) => fmt(r.perSecond)).join(', ')}; ${(sdk[0]!.exposed / CALLS * 100).toFixed(1)}% exposed)`)
console.log(`SDK, every unit exposed: median ${fmt(median(full.map((r) => r.perSecond)))} (runs: ${full.map((r) => fmt(r.perSecond)).join(', ')}; ${(full[0]!.exposed / CALLS * 100).toFixed(1)}% exposed)`)
console.log(`reference assign():   median ${fmt(median(ref))}`)
client.close()
fullClient.close()
