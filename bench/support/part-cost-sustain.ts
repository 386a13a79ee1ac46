/**
 * Diagnostic (issue 16 item 2, fifth pass): a sustained stream of small parts into events_in, as the
 * grouped bench writes them (back to back, one in flight), with the table's background merges on or
 * stopped, blocks alternated ABBA in ONE chDB process. Per block: the insert's wall time, and the
 * process's CPU per insert (all threads: the insert and the merges it causes, the merges waited out at
 * the block's end). Shows what the merges of many small parts add to each insert on 2 shared cores.
 * `--no-projections`: both projections dropped from events first (diagnostic only: what they add).
 * `--setting k=v`: merges always on, blocks alternate ABBA between the table as migrated and with events' setting k=v.
 *   npx tsx bench/support/part-cost-sustain.ts [--blocks 6] [--inserts 150] [--rows 1600] [--no-projections] [--setting k=v]
 */
import { rmSync } from 'node:fs'
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { migratedChdbClient } from './migrated-chdb-client.js'

const { values: args } = parseArgs({ options: { blocks: { type: 'string', default: '6' }, inserts: { type: 'string', default: '150' }, rows: { type: 'string', default: '1600' }, 'no-projections': { type: 'boolean', default: false }, setting: { type: 'string' } } })
const { dir, chdb, client } = await migratedChdbClient('runway-part-sustain-')
if (args['no-projections']) for (const p of ['unit_agg', 'sli_minute']) await client.command({ query: `ALTER TABLE events DROP PROJECTION ${p}` })
const one = async <T>(query: string) => ((await (await client.query({ query, format: 'JSONEachRow' })).json()) as T[])[0]!

let serial = 0
const lines = (n: number) => {
  let out = ''
  const now = Date.now()
  for (let k = 0; k < n; k++) {
    const i = serial++
    out += `${JSON.stringify({ r: now, eventId: `e-${i}`, ts: now - 60_000 + (i % 1000), experimentId: 'exp-a', variant: i % 2 ? 'treatment' : 'control', unitId: `u-${i % 10_007}`, service: 'checkout', metric: 'conversion', value: (i % 7) / 7, outcome: false, attributes: { region: i % 3 ? 'eu' : 'us' }, ...(k === 0 ? { g: `tok-${i}` } : {}) })}\n`
  }
  return out
}
const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * (xs.length - 1) + 0.5))]!

const K = Number(args.inserts)
const ROWS = Number(args.rows)
// The script's own row generation is in the process's CPU too: measured alone, to subtract.
const gen0 = process.cpuUsage()
for (let k = 0; k < 50; k++) lines(ROWS)
const gen = process.cpuUsage(gen0)
console.log(`generating ${ROWS} rows: ${((gen.user + gen.system) / 1000 / 50).toFixed(1)} ms CPU (included below)`)
console.log('block | merges | load | insert p50 [p10–p90] ms | inserts/s | CPU ms per insert, incl. merges (user + kernel) | merges settled after | parts left')
for (let b = 0; b < Number(args.blocks); b++) {
  const a = [true, false, false, true][b % 4]!
  const merges = args.setting ? true : a
  await client.command({ query: 'SYSTEM START MERGES events' })
  await client.command({ query: 'TRUNCATE TABLE events' })
  if (!merges) await client.command({ query: 'SYSTEM STOP MERGES events' })
  if (args.setting) await client.command({ query: a ? `ALTER TABLE events RESET SETTING ${args.setting.split('=')[0]}` : `ALTER TABLE events MODIFY SETTING ${args.setting}` })
  const load = loadavg()[0]!
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const ms: number[] = []
  for (let k = 0; k < K; k++) {
    const values = lines(ROWS)
    const t = performance.now()
    await chdb.chdb.rawInsert({ table: 'events_in', values, format: 'JSONEachRow', settings: { insert_deduplication_token: `s-${b}-${k}-${Math.random().toString(36).slice(2)}`, deduplicate_blocks_in_dependent_materialized_views: 1 } })
    ms.push(performance.now() - t)
  }
  const inserting = performance.now() - t0
  // The merges this block's parts caused are its cost too: wait until none runs (polled, not a fixed sleep).
  while (merges && Number((await one<{ n: string }>("SELECT count() AS n FROM system.merges WHERE table = 'events'")).n) > 0) await sleep(100)
  const settled = performance.now() - t0 - inserting
  const cpu = process.cpuUsage(cpu0)
  const parts = (await one<{ n: string }>("SELECT count() AS n FROM system.parts WHERE active AND table = 'events'")).n
  console.log([b, args.setting ? (a ? 'on, as migrated' : `on, ${args.setting}`) : merges ? 'on' : 'stopped', load.toFixed(1), `${q(ms, 0.5).toFixed(1)} [${q(ms, 0.1).toFixed(1)}–${q(ms, 0.9).toFixed(1)}]`, ((K * 1000) / inserting).toFixed(1), `${((cpu.user + cpu.system) / 1000 / K).toFixed(1)} (${(cpu.user / 1000 / K).toFixed(1)} + ${(cpu.system / 1000 / K).toFixed(1)})`, `${settled.toFixed(0)} ms`, parts].join(' | '))
}
await client.close()
rmSync(dir, { recursive: true, force: true })
