/**
 * The interference job's time over many running experiments that share units.
 *
 *   npx tsx bench/interference.ts [experiments] [units]
 *
 * `experiments` (default 50) running experiments, each in its own layer of one namespace (so
 * every pair shares every unit: experiments·(experiments−1)/2 pairs), measuring one shared
 * metric; `units` (default 1,000,000) units each. The data is generated inside the engine
 * (INSERT INTO events … FROM numbers(units): one event per unit, read back through the
 * unit_metrics view; variant by murmurHash3_32 of the
 * experiment and unit), then two runs of the job are timed (the second reads the first's p-values): three queries for all pairs together
 * (cross-tabs and cells, control-arm bucket sums, previous p-values), the assessment and the
 * insert of the rows.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { ManualClock } from '../src/adapters/clock/manual-clock.js'
import { loadConfig } from '../src/config.js'
import { createRuntime, embeddedPorts } from '../src/services/runtime.js'

const EXPERIMENTS = Number(process.argv[2] ?? 50)
const UNITS = Number(process.argv[3] ?? 1_000_000)
const T0 = Date.parse('2026-03-02T00:00:00Z')

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'runway-bench-interference-'))
  const config = loadConfig({}, { dataDir, logLevel: 'silent', scheduleIntervalMs: 3_600_000, interferenceIntervalMs: 3_600_000 })
  const log = pino({ level: 'silent' })
  const clock = new ManualClock(T0)
  const rt = createRuntime(config, await embeddedPorts(config, log, clock), log)
  await rt.start()
  try {
    for (let i = 0; i < EXPERIMENTS; i++) {
      await rt.queue.enqueue({
        id: `bx-${i}`, layer: `layer-${i}`, owner: 'bench', hypothesis: 'bench',
        variants: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }],
        metrics: { primary: { name: 'latency' }, guardrails: [{ name: 'latency_p', direction: 'decrease' }] },
      }, { type: 'person', id: 'bench' })
    }
    await rt.queue.scheduleTick()
    const running = (await rt.queue.list()).filter((r) => r.state === 'running').length
    const g0 = performance.now()
    for (let i = 0; i < EXPERIMENTS; i++) {
      await rt.warehouse.command(`INSERT INTO events (event_id, ts, experiment_id, variant, unit_id, service, metric, value, attributes, received_at)
        SELECT concat('bx-${i}-', toString(number)), toDateTime64('2026-03-02 00:00:00', 3, 'UTC') + toIntervalSecond(number % 3600), 'bx-${i}',
          if(murmurHash3_32(concat('bx-${i}', ':', toString(number))) % 2 = 0, 'control', 'treatment'),
          concat('u', toString(number)), '', 'latency', 100 + (murmurHash3_32(toString(number)) % 1000) / 10.0, map(), toDateTime64('2026-03-02 00:00:00', 3, 'UTC')
        FROM numbers_mt(${UNITS}) SETTINGS max_insert_threads = 2`)
    }
    const generateS = (performance.now() - g0) / 1000
    console.error(`generated ${EXPERIMENTS} × ${UNITS} events in ${generateS.toFixed(1)} s (load ${load()}, peak RSS ${peakRss()} GB)`)
    // Per-query timing: the service holds this same warehouse object, so the wrapper sees its reads.
    const queries: Array<{ run: number; query: string; seconds: number; cpuSeconds: number; rows: number; load: string; peakRssGB: number }> = []
    let runNo = 1
    const select = rt.warehouse.select.bind(rt.warehouse)
    rt.warehouse.select = (async (sql: string, params?: Record<string, unknown>) => {
      const q0 = performance.now()
      const c0 = process.cpuUsage()
      const name = /interference-\w+|^--[^\n]*/.exec(sql)?.[0] ?? sql.slice(0, 40)
      console.error(`query start: ${queryName(sql, name)} (load ${load()})`)
      const rows = await select(sql, params as never)
      const cpu = process.cpuUsage(c0)
      const entry = { run: runNo, query: queryName(sql, name), seconds: Number(((performance.now() - q0) / 1000).toFixed(2)), cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)), rows: rows.length, load: load(), peakRssGB: peakRss() }
      queries.push(entry)
      console.error(`query done: ${JSON.stringify(entry)}`)
      return rows
    }) as typeof rt.warehouse.select
    // Two runs: the second reads the first's p-values (interference-previous.sql has rows to read).
    for (; runNo <= 2; runNo++) {
      const t0 = performance.now()
      const run = await rt.interference.run()
      const runS = (performance.now() - t0) / 1000
      const flagged = run.rows.filter((r) => r.status === 'flagged').length
      console.log(JSON.stringify({ run: runNo, experiments: EXPERIMENTS, running, units: UNITS, pairs: run.pairs, rows: run.rows.length, flagged, generateSeconds: Number(generateS.toFixed(1)), runSeconds: Number(runS.toFixed(2)), load: load(), peakRssGB: peakRss(), perPairMs: Number(((runS * 1000) / Math.max(1, run.pairs)).toFixed(1)) }))
    }
    console.log(JSON.stringify({ queries }))
  } finally {
    await rt.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/** The 1-minute load average beside every figure (the machine is shared). */
function load(): string {
  return loadavg()[0]!.toFixed(2)
}

/** Peak resident memory of the process so far (the engine runs in it), in GB. */
function peakRss(): number {
  return Number((process.resourceUsage().maxRSS / 1e6).toFixed(2))
}

/** Which sql/queries file a query text is (each opens with its own comment). */
function queryName(sql: string, fallback: string): string {
  if (sql.includes('{cellOf:')) return 'interference-cells'
  if (sql.includes('{series:')) return 'interference-baseline'
  if (sql.includes('min_p')) return 'interference-previous'
  return fallback
}

await main()
