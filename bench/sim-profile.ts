/**
 * Where a scenario run spends its time (embedded default, manual clock, real HTTP server).
 *
 *   npx tsx bench/sim-profile.ts scenarios/acceptance/misroute-late.yaml
 *
 * Runs the scenario as runway simulate does, timing the simulator's calls on its target
 * (assign, sendEvents, advanceTo: the jobs that run while time moves), each clock timer by its
 * interval (60000: scheduler tick; the spec's evaluation interval: evaluation jobs) and every
 * warehouse SELECT by the first line of its SQL file. Prints totals in ms and counts.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { ManualClock } from '../src/adapters/clock/manual-clock.js'
import { buildServer } from '../src/api/server.js'
import { loadScenario } from '../src/cli/commands/simulate.js'
import { loadConfig } from '../src/config.js'
import { createRuntime, embeddedPorts } from '../src/services/runtime.js'
import { simulate } from '../src/sim/simulator.js'
import { httpTarget } from '../src/sim/target.js'
const [file] = process.argv.slice(2)
const s = loadScenario(file!)
const log = pino({ level: 'silent' })
const config = { ...loadConfig({}, { logLevel: 'silent' }), dataDir: mkdtempSync(join(tmpdir(), 'runway-sim-profile-')), kafka: null, redis: null, clickhouseUrl: null, role: 'all' as const, scheduleIntervalMs: 60_000 }
config.auth = { ...config.auth, mode: 'off' }
const manual = new ManualClock(Date.parse(s.start))
const byEvery: Record<string, { n: number; ms: number }> = {}
const origEvery = manual.every.bind(manual)
manual.every = (ms: number, fn: () => Promise<void>) => origEvery(ms, async () => { const t0 = performance.now(); try { await fn() } finally { const k = String(ms); byEvery[k] ??= { n: 0, ms: 0 }; byEvery[k].n++; byEvery[k].ms += performance.now() - t0 } })
const ports = await embeddedPorts(config, log, manual)
const bySql: Record<string, { n: number; ms: number }> = {}
const w = ports.warehouse as unknown as { select: (sql: string, p?: unknown) => Promise<unknown[]> }
const origSelect = w.select.bind(w)
w.select = async (sql: string, p?: unknown) => { const t0 = performance.now(); try { return await origSelect(sql, p) } finally { const k = (sql.match(/--\s*(\S+\.sql)|^\s*--\s*([^\n]{0,40})/m)?.slice(1).find(Boolean) ?? sql.slice(0, 40)).replace(/\s+/g, ' '); bySql[k] ??= { n: 0, ms: 0 }; bySql[k].n++; bySql[k].ms += performance.now() - t0 } }
const rt = createRuntime(config, ports, log)
const app = buildServer(rt)
await rt.start()
await app.listen({ host: '127.0.0.1', port: 0 })
const port = (app.server.address() as { port: number }).port
const t: Record<string, number> = {}
const timed = <A extends unknown[], R>(name: string, f: (...a: A) => Promise<R>) => async (...a: A) => { const t0 = performance.now(); try { return await f(...a) } finally { t[name] = (t[name] ?? 0) + performance.now() - t0 } }
const base = httpTarget(`http://127.0.0.1:${port}`, (x) => manual.advanceTo(x))
const target = { ...base, assign: timed('assign', base.assign), sendEvents: timed('sendEvents', base.sendEvents), advanceTo: timed('advanceTo', base.advanceTo) }
const t0 = performance.now()
const out = await simulate({ scenario: s, target })
const wall = performance.now() - t0
console.log(JSON.stringify(Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.round(v)]))), 'wall', Math.round(wall), 'events', out.ingest.accepted, JSON.stringify(byEvery))
for (const [k, v] of Object.entries(bySql).sort((a, b) => b[1].ms - a[1].ms).slice(0, 15)) console.log(String(Math.round(v.ms)).padStart(7), String(v.n).padStart(6), k)
await app.close()
await rt.stop()
rmSync(config.dataDir, { recursive: true, force: true })
