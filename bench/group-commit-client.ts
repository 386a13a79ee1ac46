/**
 * HTTP clients for bench/group-commit.ts, in a process of their own (their CPU is not the
 * server's event loop): `--clients` concurrent keep-alive clients POST NDJSON bodies of
 * `--size` events to /v1/events until `--events` are sent, each waiting for its answer.
 * Bodies are built before the clock starts. Prints one JSON line: events/s, p50, p99 (ms).
 * `--client http` (default) sends with node:http and a keep-alive agent; `--client fetch` with
 * fetch (undici), which cost this process 5–9 ms of CPU per request at load 7 (profiled,
 * 2026-12-03): on 2 shared cores that CPU is taken from the server, and the 16 answers of one
 * group came back over 50–150 ms instead of a few.
 *   node --import tsx bench/group-commit-client.ts --url U --experiment X --events N --size S --clients C --ts MS [--client http|fetch]
 */
import { Agent, request } from 'node:http'
import { parseArgs } from 'node:util'

const { values: a } = parseArgs({ options: { url: { type: 'string' }, experiment: { type: 'string' }, events: { type: 'string' }, size: { type: 'string' }, clients: { type: 'string' }, ts: { type: 'string' }, client: { type: 'string', default: 'http' } } })
const id = a.experiment!
const total = Number(a.events)
const size = Number(a.size)
const ts = Number(a.ts)
const clients = Number(a.clients)
const line = (i: number) =>
  JSON.stringify({ eventId: `${id}-${i}`, ts, experimentId: id, variant: i % 2 ? 'treatment' : 'control', unitId: `u-${i % 10_007}`, service: 'checkout', metric: 'conversion', value: (i % 7) / 7, attributes: { region: i % 3 ? 'eu' : 'us' } })
const bodies: string[] = []
for (let i = 0; i < total; i += size) bodies.push(Array.from({ length: Math.min(size, total - i) }, (_, k) => line(i + k)).join('\n'))
const target = new URL('/v1/events', a.url)
const agent = new Agent({ keepAlive: true, maxSockets: clients })

/** One POST; resolves with the status and the answer's text. */
function post(body: string): Promise<{ status: number; text: string }> {
  if (a.client === 'fetch') return fetch(target, { method: 'POST', body, headers: { 'content-type': 'application/x-ndjson' } }).then(async (res) => ({ status: res.status, text: await res.text() }))
  return new Promise((resolve, reject) => {
    const req = request(target, { method: 'POST', agent, headers: { 'content-type': 'application/x-ndjson', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = ''
      res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve({ status: res.statusCode ?? 0, text })).on('error', reject)
    })
    req.on('error', reject).end(body)
  })
}

const latencies: number[] = []
let next = 0
const t = performance.now()
await Promise.all(
  Array.from({ length: clients }, async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!
      const t0 = performance.now()
      const { status, text } = await post(body)
      const answer = JSON.parse(text) as { accepted?: number; rejected?: number }
      if (status !== 200 || answer.rejected !== 0) throw new Error(`HTTP ${status}: ${text.slice(0, 300)}`)
      latencies.push(performance.now() - t0)
    }
  }),
)
const ms = performance.now() - t
agent.destroy()
latencies.sort((x, y) => x - y)
const q = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!)
console.log(JSON.stringify({ eventsPerSec: Math.round((total / ms) * 1000), p50: q(0.5), p99: q(0.99) }))
