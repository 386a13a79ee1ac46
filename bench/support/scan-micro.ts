/**
 * scanLine's CPU per line, alone (issue 16 item 1, seventh pass): the bench's lines (bench/ingest.ts: …metric,
 * value, attributes) and the SDK's key order (…metric, attributes, value|outcome), 5,000 lines per chunk.
 * With `--old <dir>` (a copy of src/domain/telemetry-scan*.ts whose imports point back at src/domain), the
 * two modules run alternately, chunk by chunk, and it prints both medians: a change is compared with what
 * it replaces in the same minutes, on the same lines.
 *
 *   npx tsx bench/support/scan-micro.ts [--reps 400] [--old /tmp/old-scan[,/tmp/variant…]]
 *
 * `--prepare` (eighth pass) measures IngestService.prepareLines instead: everything ingest does before the insert
 * (scan, checks, row, scrub, events_in text), 5,000 bench lines per call, fresh experiment ids per block, CPU time
 * (process.cpuUsage: less moved by the other helpers' load than wall time). `--roots dir[,dir…]` runs each tree's
 * src/ (a `git archive` copy with node_modules linked) alternately in this one process. GC is shared by the copies,
 * so a change in what is allocated shows in `node --trace-gc`'s scavenge count of separate runs, not in these medians.
 *   npx tsx bench/support/scan-micro.ts --prepare [--reps 200] [--roots /work/main,/tmp/head]
 */
import { parseArgs } from 'node:util'
import { pathToFileURL } from 'node:url'
import { basename, join } from 'node:path'
import { loadavg } from 'node:os'
import { scanLine } from '../../src/domain/telemetry-scan.js'

const { values: args } = parseArgs({ options: { reps: { type: 'string', default: '400' }, old: { type: 'string' }, prepare: { type: 'boolean', default: false }, roots: { type: 'string', default: '.' } } })
const REPS = Number(args.reps)
if (args.prepare) {
  await preparePerLine(args.roots!.split(','), REPS)
  process.exit(0)
}
type Scan = (s: string) => unknown
const impls: Array<{ name: string; scan: Scan }> = [{ name: 'new', scan: scanLine }]
// Several copies (comma-separated) run alternately too, each named by its folder, to measure changes one by one.
const olds = args.old ? args.old.split(',') : []
for (const [k, dir] of olds.entries()) {
  const m = (await import(pathToFileURL(join(dir, 'telemetry-scan.ts')).href)) as { scanLine: Scan }
  impls.splice(k, 0, { name: olds.length === 1 ? 'old' : basename(dir), scan: m.scanLine })
}

const ts = Date.now() - 60_000
const N = 5000
const bench = Array.from({ length: N }, (_, i) =>
  JSON.stringify({
    eventId: `bi-abc123-lines-0-${i}`, ts, experimentId: 'bi-abc123-lines-0', variant: i % 2 ? 'treatment' : 'control', unitId: `u-${i % 10_007}`,
    service: 'checkout', metric: 'conversion', value: (i % 7) / 7, attributes: { region: i % 3 ? 'eu' : 'us' },
  }),
)
const sdk = Array.from({ length: N }, (_, i) =>
  JSON.stringify({
    eventId: `0f8fad5b-d9cb-469f-a165-${String(i).padStart(12, '0')}`, ts: ts + i, experimentId: 'checkout-v2', variant: i % 2 ? 'treatment' : 'control', unitId: `user-${i % 977}`,
    service: 'checkout', metric: i % 2 ? 'latency_ms' : 'conversion', attributes: { country: i % 5 ? 'de' : 'fr', plan: 'pro' }, ...(i % 2 ? { value: 20 + (i % 50) } : { outcome: i % 3 === 0 }),
  }),
)
const sets = { bench, sdk }

for (const lines of Object.values(sets)) for (const { scan } of impls) for (const l of lines) if (scan(l) === null) throw new Error(`refused: ${l}`)

let sink = 0
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
for (const [set, lines] of Object.entries(sets)) {
  const ns: number[][] = impls.map(() => [])
  for (let r = 0; r < REPS; r++) {
    // Alternate which goes first, so neither always runs right after the other's garbage.
    for (let k = 0; k < impls.length; k++) {
      const j = (k + r) % impls.length
      const scan = impls[j]!.scan
      const t0 = process.hrtime.bigint()
      for (let i = 0; i < lines.length; i++) if (scan(lines[i]!) !== null) sink++
      ns[j]!.push(Number(process.hrtime.bigint() - t0) / lines.length)
    }
  }
  // The first quarter is warm-up (the JIT's tiers), left out.
  const out: Record<string, unknown> = { set, reps: REPS }
  impls.forEach((m, j) => (out[`${m.name}NsPerLine`] = Math.round(median(ns[j]!.slice(REPS >> 2)))))
  console.log(JSON.stringify(out))
}
if (sink === 0) console.log('no line scanned')

/** --prepare: prepareLines' CPU ns per line for each tree's src/, alternating call by call. */
async function preparePerLine(roots: string[], reps: number): Promise<void> {
  const N = 5000
  type Lines = Array<{ line: number; raw: string }>
  const trees: Array<{ root: string; prepare: (l: Lines) => Promise<{ good: unknown[]; ndjson: string }>; blocks: Lines[] }> = []
  for (const root of roots) {
    const imp = (p: string) => import(pathToFileURL(join(root, p)).href)
    const { IngestService } = await imp('src/services/ingest.ts')
    const { MemoryStateStore } = await imp('src/adapters/state/memory-state.ts')
    const { SystemClock } = await imp('src/adapters/clock/system-clock.ts')
    const { newRecord } = await imp('src/domain/experiment-record.ts')
    const { ExperimentSpecSchema } = await imp('src/domain/experiment.ts')
    const state = new MemoryStateStore()
    const ids = Array.from({ length: 8 }, (_, b) => `bi-abc123-lines-${b}`)
    const spec = (id: string) => ExperimentSpecSchema.parse({ id, owner: 'bench', hypothesis: 'x', variants: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }], rollout: { steps: [{ exposure: 100, minDuration: '1h' }] }, metrics: { primary: { name: 'conversion', direction: 'increase' } } })
    for (const id of ids) await state.put({ ...newRecord(spec(id), Date.now()), state: 'running' }, null)
    // No insert is made: prepareLines has no side effect, so the warehouse is never asked.
    const svc = new IngestService({ warehouse: {} as never, state, clock: new SystemClock(), log: { warn() {} } as never, limits: { maxBytes: 1e12, maxEvents: 1e9 } })
    const ts = Date.now() - 60_000
    const blocks = ids.map((experimentId) => Array.from({ length: N }, (_, i) => ({ line: i, raw: JSON.stringify({ eventId: `${experimentId}-${i}`, ts, experimentId, variant: i % 2 ? 'treatment' : 'control', unitId: `u-${i % 10_007}`, service: 'checkout', metric: 'conversion', value: (i % 7) / 7, attributes: { region: i % 3 ? 'eu' : 'us' } }) })))
    trees.push({ root, prepare: (l) => svc.prepareLines(l, {}), blocks })
  }
  for (const t of trees) if ((await t.prepare(t.blocks[0]!)).good.length !== N) throw new Error(`${t.root}: a bench line was refused`)
  const load0 = loadavg()[0]!.toFixed(1)
  const ns: number[][] = trees.map(() => [])
  let bytes = 0
  for (let r = 0; r < reps; r++) {
    for (let k = 0; k < trees.length; k++) {
      const j = (k + r) % trees.length
      const t = trees[j]!
      const t0 = process.cpuUsage()
      bytes += (await t.prepare(t.blocks[r % t.blocks.length]!)).ndjson.length
      const u = process.cpuUsage(t0)
      ns[j]!.push(((u.user + u.system) * 1000) / N)
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
  const out: Record<string, unknown> = { mode: 'prepare', reps, load: `${load0}-${loadavg()[0]!.toFixed(1)}`, bytes }
  trees.forEach((t, j) => (out[`${t.root}CpuNsPerLine`] = Math.round(median(ns[j]!.slice(reps >> 2)))))
  console.log(JSON.stringify(out))
}
