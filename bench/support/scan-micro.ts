/**
 * scanLine's CPU per line, alone (issue 16 item 1, seventh pass): the bench's lines (bench/ingest.ts: …metric,
 * value, attributes) and the SDK's key order (…metric, attributes, value|outcome), 5,000 lines per chunk.
 * With `--old <dir>` (a copy of src/domain/telemetry-scan*.ts whose imports point back at src/domain), the
 * two modules run alternately, chunk by chunk, and it prints both medians: a change is compared with what
 * it replaces in the same minutes, on the same lines.
 *
 *   npx tsx bench/support/scan-micro.ts [--reps 400] [--old /tmp/old-scan[,/tmp/variant…]]
 */
import { parseArgs } from 'node:util'
import { pathToFileURL } from 'node:url'
import { basename, join } from 'node:path'
import { scanLine } from '../../src/domain/telemetry-scan.js'

const { values: args } = parseArgs({ options: { reps: { type: 'string', default: '400' }, old: { type: 'string' } } })
const REPS = Number(args.reps)
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
