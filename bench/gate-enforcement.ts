/**
 * Gate enforcement latency: verdict applied → every connected SDK stops assigning.
 *
 *   npx tsx bench/gate-enforcement.ts [clients=20] [trials=60]
 *
 * Method: one embedded runway (HTTP API on 127.0.0.1, in this process) runs `trials`
 * experiments, each in its own layer at 100% exposure. A separate process holds
 * `clients` RunwayClients connected over SSE (/v1/gate/stream), each with every
 * experiment and one exposed unit per experiment. A trial arms one experiment in the
 * client process, takes t0 (wall clock, performance.timeOrigin + now()), and applies a
 * pause verdict through the controller (state write, ledger insert into the warehouse,
 * lifecycle event → config rebuild → SSE push). Each client records the moment its
 * `variant()` for the armed unit turns null (inside its change callback, i.e. the first
 * moment the service's next call would get "not exposed"). The trial's latency is the
 * last of the clients' times − t0. p50/p99/max over the trials.
 */
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { applyVerdict, runExperiment, startRunway } from '../test/support/gate.js'

const CLIENTS = Number(process.argv[2] ?? 20)
const TRIALS = Number(process.argv[3] ?? 60)
const now = () => performance.timeOrigin + performance.now()
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!

const rw = await startRunway()
const ids = Array.from({ length: TRIALS }, (_, i) => `enf-${i}`)
for (const id of ids) await runExperiment(rw, { id, layer: id, rollout: { steps: [{ exposure: 100 }] } })

const child = fork(fileURLToPath(new URL('./gate-enforcement-clients.ts', import.meta.url)), [rw.baseUrl, String(CLIENTS), String(TRIALS)], { execArgv: ['--import', 'tsx'] })
const inbox: Array<Record<string, unknown>> = []
child.on('message', (m) => inbox.push(m as Record<string, unknown>))
async function next(type: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const i = inbox.findIndex((m) => m.type === type)
    if (i >= 0) return inbox.splice(i, 1)[0]!
    if (Date.now() > end) throw new Error(`no ${type} from the client process`)
    await new Promise((r) => setTimeout(r, 1))
  }
}

const ready = await next('ready')
console.log(`clients connected: ${String(ready.connected)}/${CLIENTS}, experiments each: ${String(ready.experiments)}, SSE subscribers on the server: ${rw.runtime.gateConfig.subscriberCount}`)
const all: number[] = []
const firsts: number[] = []
const applies: number[] = []
for (const id of ids) {
  child.send({ type: 'arm', id })
  await next('armed')
  const t0 = now()
  await applyVerdict(rw, id, 'pause')
  applies.push(now() - t0)
  const done = await next('done', 10_000)
  const times = done.times as number[]
  all.push(Math.max(...times) - t0)
  firsts.push(Math.min(...times) - t0)
}
const f = (x: number) => `${x.toFixed(1)} ms`
console.log(`${TRIALS} trials × ${CLIENTS} clients: all stopped — p50 ${f(pct(all, 50))}, p99 ${f(pct(all, 99))}, max ${f(Math.max(...all))}; first client p50 ${f(pct(firsts, 50))}; the controller's apply itself (state, ledger, lifecycle event) p50 ${f(pct(applies, 50))}, p99 ${f(pct(applies, 99))}`)
child.send({ type: 'exit' })
await rw.stop()
rw.cleanup()
process.exit(0)
