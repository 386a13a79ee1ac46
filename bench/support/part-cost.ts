/**
 * Diagnostic (issue 16 item 2, fifth pass): what one small engine insert costs, component by
 * component, in ONE chDB process. Every variant is a table of its own in the same data dir; each
 * repetition inserts 100, 400 and 1,600 rows into every variant, the variant order rotated per
 * repetition, so load drift hits all variants alike. Prints per variant and size the median and
 * p10–p90 of the insert's wall time (chDB's native raw insert, as ingest calls it).
 *   npx tsx bench/support/part-cost.ts [--reps 20] [--sizes 100,400,1600] [--only name,name] [--stop-merges] [--keep]
 */
import { rmSync } from 'node:fs'
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { migratedChdbClient } from './migrated-chdb-client.js'
import { PART_COST_VARIANTS, type Variant } from './part-cost-variants.js'

const { values: args } = parseArgs({ options: { reps: { type: 'string', default: '20' }, sizes: { type: 'string', default: '100,400,1600' }, only: { type: 'string' }, keep: { type: 'boolean', default: false }, 'stop-merges': { type: 'boolean', default: false }, base: { type: 'string' }, profile: { type: 'boolean', default: false } } })
const REPS = Number(args.reps)
const SIZES = args.sizes!.split(',').map(Number)
// The real schema, then one session on the dir from here on (bench/support/migrated-chdb-client.ts).
const { dir, chdb, client } = await migratedChdbClient('runway-part-cost-')
const variants: Variant[] = PART_COST_VARIANTS.filter((v) => !args.only || args.only.split(',').includes(v.name))
const unknown = (args.only?.split(',') ?? []).filter((n) => !PART_COST_VARIANTS.some((v) => v.name === n))
if (unknown.length > 0) {
  console.error(`--only: no variant named ${unknown.map((n) => `'${n}'`).join(', ')}; the variants are: ${PART_COST_VARIANTS.map((v) => `'${v.name}'`).join(', ')}`)
  rmSync(dir, { recursive: true, force: true })
  process.exit(2)
}
for (const v of variants) for (const ddl of v.ddl) await client.command({ query: ddl })
// --stop-merges: the insert's own cost, without the background merges of every variant's parts competing for the 2 cores.
if (args['stop-merges']) await client.command({ query: 'SYSTEM STOP MERGES' })

const ts0 = Date.now() - 60_000
let serial = 0
/** Rows as the bench sends them: one experiment, 2 variants, ~10k units, one minute of ts. */
function lines(n: number, shape: 'in' | 'events' | 'bare'): string {
  let out = ''
  const now = Date.now()
  for (let k = 0; k < n; k++) {
    const i = serial++
    const variant = i % 2 ? 'treatment' : 'control'
    const unit = `u-${i % 10_007}`
    const value = (i % 7) / 7
    const ts = ts0 + (i % 1000)
    if (shape === 'in') {
      out += `${JSON.stringify({ r: now, eventId: `e-${i}`, ts, experimentId: 'exp-a', variant, unitId: unit, service: 'checkout', metric: 'conversion', value, outcome: false, attributes: { region: i % 3 ? 'eu' : 'us' }, ...(k === 0 ? { g: `tok-${i}` } : {}) })}\n`
    } else {
      const t = new Date(ts).toISOString().replace('T', ' ').replace('Z', '')
      const row: Record<string, unknown> = { event_id: `e-${i}`, ts: t, experiment_id: 'exp-a', variant, unit_id: unit, service: 'checkout', metric: 'conversion', value, received_at: t }
      if (shape === 'events') row.attributes = { region: i % 3 ? 'eu' : 'us' }
      out += `${JSON.stringify(row)}\n`
    }
  }
  return out
}

const settingsClause = (st: Record<string, string | number>) => `SETTINGS ${Object.entries(st).map(([k, x]) => `${k} = ${typeof x === 'number' ? x : `'${x}'`}`).join(', ')}`
/** One insert as ingest sends it: a fresh token (or '' for none, as chDB keeps session settings), the variant's settings. */
async function insertOnce(v: Variant, values: string, token: string): Promise<void> {
  const settings: Record<string, string | number> = v.token ? { insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 } : { insert_deduplication_token: '' }
  Object.assign(settings, v.settings ?? {})
  // max_query_size: format()'s rows are in the query text itself, beyond the 256 KiB default at 1,600 rows.
  if (v.sql) await client.command({ query: v.sql(settingsClause(settings), values), clickhouse_settings: { max_query_size: '67108864' } })
  else await chdb.chdb.rawInsert({ table: v.table, values, format: 'JSONEachRow', settings })
}
const times = new Map<string, number[]>()
const loads: number[] = []
const started = Date.now()
for (let rep = 0; rep < REPS; rep++) {
  loads.push(loadavg()[0]!)
  const order = variants.map((_, k) => variants[(k + rep) % variants.length]!)
  for (const v of order) {
    for (const size of SIZES) {
      const values = lines(size, v.shape)
      const t = performance.now()
      await insertOnce(v, values, `pc-${rep}-${size}-${Math.random().toString(36).slice(2)}`)
      const ms = performance.now() - t
      if (rep > 0) (times.get(`${v.name}@${size}`) ?? times.set(`${v.name}@${size}`, []).get(`${v.name}@${size}`)!).push(ms)
    }
  }
}
loads.push(loadavg()[0]!)

const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))]!
}
console.log(`reps ${REPS} (first dropped as warm-up), ${((Date.now() - started) / 1000).toFixed(0)} s, load ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`)
console.log(['variant', ...SIZES.map((s) => `${s} rows: p50 [p10–p90]`)].join(' | '))
for (const v of variants) {
  const cells = SIZES.map((s) => {
    const xs = times.get(`${v.name}@${s}`) ?? []
    return `${q(xs, 0.5).toFixed(1)} [${q(xs, 0.1).toFixed(1)}–${q(xs, 0.9).toFixed(1)}]`
  })
  console.log([v.name, ...cells].join(' | '))
}
// --base NAME: each variant's paired difference to NAME within the same repetition (the load shared), median [p10–p90].
if (args.base) {
  console.log(`paired difference to "${args.base}", ms`)
  for (const v of variants) {
    if (v.name === args.base) continue
    const cells = SIZES.map((s) => {
      const a = times.get(`${v.name}@${s}`) ?? []
      const b = times.get(`${args.base}@${s}`) ?? []
      const d = a.map((x, k) => x - b[k]!)
      return `${q(d, 0.5) >= 0 ? '+' : ''}${q(d, 0.5).toFixed(1)} [${q(d, 0.1).toFixed(1)}…${q(d, 0.9).toFixed(1)}]`
    })
    console.log([v.name, ...cells].join(' | '))
  }
}
// --profile: the engine's own timers (system.events, process-wide ProfileEvents; chDB keeps no query_log)
// around 10 more inserts per variant and size, merges stopped or not as above: mean per insert, top timers.
if (args.profile) {
  const snap = async () => {
    const rs = await client.query({ format: 'JSONEachRow', query: "SELECT event, value FROM system.events WHERE event LIKE '%Microseconds' OR event IN ('FileOpen', 'WriteBufferFromFileDescriptorWrite', 'CreatedReadBufferOrdinary')" })
    return new Map(((await rs.json()) as { event: string; value: string }[]).map((r) => [r.event, Number(r.value)]))
  }
  for (const v of variants) {
    for (const size of SIZES) {
      const before = await snap()
      for (let k = 0; k < 10; k++) await insertOnce(v, lines(size, v.shape), `pf-${size}-${k}-${Math.random().toString(36).slice(2)}`)
      const after = await snap()
      const top = [...after].map(([e, x]) => [e, (x - (before.get(e) ?? 0)) / 10] as const).filter(([, d]) => d > 0).sort((a, b) => b[1] - a[1]).slice(0, 12)
      console.log(`\n${v.name} @ ${size}: ${top.map(([e, d]) => `${e.replace(/Microseconds$/, '')} ${e.endsWith('Microseconds') ? `${(d / 1000).toFixed(2)} ms` : d.toFixed(0)}`).join('; ')}`)
    }
  }
}
const parts = await client.query({ query: "SELECT table, count() AS parts, sum(rows) AS rows FROM system.parts WHERE active AND database = 'default' GROUP BY table ORDER BY table", format: 'JSONEachRow' })
console.log('active parts at the end:', JSON.stringify(await parts.json()))
await client.close()
if (!args.keep) rmSync(dir, { recursive: true, force: true })
else console.log(`kept ${dir}`)
