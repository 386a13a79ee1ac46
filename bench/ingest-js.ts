/**
 * Benchmark (issue 16 item 1): the JS an ingest costs, alone. The same IngestService calls as
 * bench/ingest.ts's `lines` and `http` paths, into a warehouse that stores nothing, so every µs is
 * main-thread JS (split, scan, checks, masking, the events_in text, GC). Timed by process CPU time
 * (user + system, which includes the GC helper threads), min over repetitions: the least noisy figure
 * on a shared machine. The engine's share is bench/ingest.ts's `textIn`.
 *   npx tsx bench/ingest-js.ts [--events 5000] [--reps 12] [--values repeat|distinct]
 * `--values repeat` is bench/ingest.ts's events (7 values, each 17 digits); `distinct` gives every
 * event its own value (3 decimals), so caches of recent values do not help.
 */
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { SystemClock } from '../src/adapters/clock/system-clock.js'
import { MemoryStateStore } from '../src/adapters/state/memory-state.js'
import { newRecord } from '../src/domain/experiment-record.js'
import { ExperimentSpecSchema } from '../src/domain/experiment.js'
import type { TelemetryEvent } from '../src/domain/telemetry.js'
import type { Warehouse } from '../src/ports/warehouse.js'
import { IngestService } from '../src/services/ingest.js'

const { values: args } = parseArgs({ options: { events: { type: 'string', default: '5000' }, reps: { type: 'string', default: '12' }, values: { type: 'string', default: 'repeat' } } })
const N = Number(args.events)
const REPS = Number(args.reps)
const distinct = args.values === 'distinct'

const nothing: Warehouse = { command: async () => {}, select: async () => [], insert: async () => {}, close: async () => {} }
const state = new MemoryStateStore()
const id = 'bench-js'
const spec = ExperimentSpecSchema.parse({
  id, owner: 'bench', hypothesis: 'throughput', variants: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }],
  rollout: { steps: [{ exposure: 100, minDuration: '1h' }] }, metrics: { primary: { name: 'conversion', direction: 'increase' } },
})
await state.put({ ...newRecord(spec, Date.now()), state: 'running' }, null)
const ingest = new IngestService({ warehouse: nothing, state, clock: new SystemClock(), log: pino({ level: 'error' }), limits: { maxBytes: 1e12, maxEvents: 1e9 } })

const ts = Date.now() - 60_000
const events: TelemetryEvent[] = Array.from({ length: N }, (_, i) => ({
  eventId: `${id}-${i}`, ts, experimentId: id, variant: i % 2 ? 'treatment' : 'control', unitId: `u-${i % 10_007}`,
  service: 'checkout', metric: 'conversion', value: distinct ? (i * 37) / 1000 : (i % 7) / 7, attributes: { region: i % 3 ? 'eu' : 'us' },
}))
const lines = events.map((e, k) => ({ line: k, raw: JSON.stringify(e) }))
const body = lines.map((l) => l.raw).join('\n')

function cpuUs(fn: () => Promise<unknown>): Promise<number> {
  const c = process.cpuUsage()
  return fn().then(() => {
    const d = process.cpuUsage(c)
    return d.user + d.system
  })
}

const runs: Record<'lines' | 'http', number[]> = { lines: [], http: [] }
for (let r = 0; r < REPS + 2; r++) {
  const a = await cpuUs(() => ingest.ingestLines(lines, { source: 'bench', dedupToken: `t-${r}` }))
  const b = await cpuUs(() => ingest.ingest({ body, format: 'ndjson', source: 'bench' }))
  if (r >= 2) {
    runs.lines.push(a / N)
    runs.http.push(b / N)
  }
}
const min = (xs: number[]) => Math.min(...xs)
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!
for (const [path, xs] of Object.entries(runs)) {
  console.log(JSON.stringify({ path, events: N, values: args.values, cpuUsPerEventMin: Number(min(xs).toFixed(2)), cpuUsPerEventMedian: Number(median(xs).toFixed(2)) }))
}
