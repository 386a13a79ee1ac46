// A telemetry client for bench/freshness.ts (a child process, so its work is off the server's
// threads): NDJSON batches of `batch` events from the experiments' unit pools, paced to `rate`
// events/s, POST /v1/events, for `seconds`. Reports what it actually sent and each batch's latency.
import { readFileSync } from 'node:fs'

const [url, poolFile, rateArg, secondsArg, batchArg, indexArg] = process.argv.slice(2)
const rate = Number(rateArg), seconds = Number(secondsArg), batch = Number(batchArg), index = Number(indexArg)
/** [[experimentId, [[unitId, variant], …]], …]: units already assigned by the gate's hash, so no misrouting. */
const pools = JSON.parse(readFileSync(poolFile, 'utf8'))
let seq = 0
function body() {
  const now = Date.now()
  const lines = []
  for (let k = 0; k < batch; k++) {
    const [experimentId, units] = pools[(seq + k) % pools.length]
    const [unitId, variant] = units[Math.floor(Math.random() * units.length)]
    lines.push(JSON.stringify({ eventId: `c${index}-${seq + k}`, ts: now, experimentId, variant, unitId, service: 'checkout', metric: 'conversion', value: Math.random() < 0.1 ? 1 : 0 }))
  }
  seq += batch
  return lines.join('\n')
}
const start = Date.now()
const end = start + seconds * 1000
let sent = 0, failed = 0, attempted = 0
const latencies = []
while (Date.now() < end) {
  // Pacing: wait until this batch is due at the target rate; a slow server lowers the achieved rate.
  const due = start + (attempted / rate) * 1000
  if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()))
  const text = body()
  attempted += batch
  const t = performance.now()
  try {
    const res = await fetch(`${url}/v1/events`, { method: 'POST', body: text, headers: { 'content-type': 'application/x-ndjson' } })
    const out = await res.json()
    if (res.status !== 200) failed += batch
    else sent += Number(out.accepted ?? batch)
  } catch {
    failed += batch
  }
  latencies.push(performance.now() - t)
}
process.send({ index, sent, failed, seconds: (Date.now() - start) / 1000, latencies })
process.disconnect()
