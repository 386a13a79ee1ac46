/**
 * Child of bench/gate-enforcement.ts: N RunwayClients over SSE in one process (a
 * service fleet stand-in), reporting when each one stops assigning an armed experiment.
 */
import { RunwayClient } from '../src/sdk/client.js'

const [baseUrl, n, experiments] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])]
const now = () => performance.timeOrigin + performance.now()
const send = (m: unknown) => process.send!(m)
const clients = Array.from({ length: n }, () => new RunwayClient({ baseUrl, heartbeatMs: 1_000 }))
const units = new Map<string, string>()
let armed: { id: string; times: Array<number | null> } | null = null

clients.forEach((c, k) =>
  c.onChange((flags) => {
    if (!armed || !flags.includes(armed.id) || armed.times[k] !== null) return
    if (c.variant(armed.id, units.get(armed.id)!) !== null) return
    armed.times[k] = now()
    if (armed.times.every((t) => t !== null)) send({ type: 'done', id: armed.id, times: armed.times })
  }),
)

await Promise.all(clients.map((c) => c.start(30_000)))
for (let i = 0; i < 300 && !clients.every((c) => c.status().connected && c.experimentIds().length >= experiments); i++) await new Promise((r) => setTimeout(r, 100))
for (const id of clients[0]!.experimentIds()) {
  for (let u = 0; u < 100_000; u++) {
    if (clients[0]!.variant(id, `unit-${u}`)) {
      units.set(id, `unit-${u}`)
      break
    }
  }
}
process.on('message', (m: { type: string; id: string }) => {
  if (m.type === 'arm') {
    armed = { id: m.id, times: clients.map(() => null) }
    send({ type: 'armed', id: m.id })
  } else if (m.type === 'exit') {
    for (const c of clients) c.close()
    process.exit(0)
  }
})
send({ type: 'ready', connected: clients.filter((c) => c.status().connected).length, experiments: clients[0]!.experimentIds().length })
