/**
 * HTTP clients for bench/group-commit.ts, in a process of their own (their CPU is not the
 * server's event loop): `--clients` concurrent keep-alive clients POST NDJSON bodies of
 * `--size` events to /v1/events until `--events` are sent, each waiting for its answer.
 * Bodies are built before the clock starts. Prints one JSON line: events/s, p50, p99 (ms).
 *   node --import tsx bench/group-commit-client.ts --url U --experiment X --events N --size S --clients C --ts MS
 */
import { parseArgs } from 'node:util'

const { values: a } = parseArgs({ options: { url: { type: 'string' }, experiment: { type: 'string' }, events: { type: 'string' }, size: { type: 'string' }, clients: { type: 'string' }, ts: { type: 'string' } } })
const id = a.experiment!
const total = Number(a.events)
const size = Number(a.size)
const ts = Number(a.ts)
const line = (i: number) =>
  JSON.stringify({ eventId: `${id}-${i}`, ts, experimentId: id, variant: i % 2 ? 'treatment' : 'control', unitId: `u-${i % 10_007}`, service: 'checkout', metric: 'conversion', value: (i % 7) / 7, attributes: { region: i % 3 ? 'eu' : 'us' } })
const bodies: string[] = []
for (let i = 0; i < total; i += size) bodies.push(Array.from({ length: Math.min(size, total - i) }, (_, k) => line(i + k)).join('\n'))
const latencies: number[] = []
let next = 0
const t = performance.now()
await Promise.all(
  Array.from({ length: Number(a.clients) }, async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!
      const t0 = performance.now()
      const res = await fetch(`${a.url}/v1/events`, { method: 'POST', body, headers: { 'content-type': 'application/x-ndjson' } })
      const answer = (await res.json()) as { accepted?: number; rejected?: number }
      if (res.status !== 200 || answer.rejected !== 0) throw new Error(`HTTP ${res.status}: ${JSON.stringify(answer).slice(0, 300)}`)
      latencies.push(performance.now() - t0)
    }
  }),
)
const ms = performance.now() - t
latencies.sort((x, y) => x - y)
const q = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!)
console.log(JSON.stringify({ eventsPerSec: Math.round((total / ms) * 1000), p50: q(0.5), p99: q(0.99) }))
