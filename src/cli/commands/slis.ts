import type { SliSeries } from '../../services/slis.js'
import { callServer, errorMessage } from '../client.js'
import { CliExit, table } from '../output.js'

const fmt = (x: number | null) => (x === null ? '-' : Number.isInteger(x) ? String(x) : x.toPrecision(4))

/** `runway slis ID`: an experiment's SLI series per variant (GET /v1/experiments/:id/slis). */
export async function slisCommand(id: string, opts: { server: string; metric?: string; window?: string; json?: boolean }): Promise<void> {
  const qs = new URLSearchParams()
  if (opts.metric) qs.set('metric', opts.metric)
  if (opts.window) qs.set('window', opts.window)
  const res = await callServer(opts.server, `/v1/experiments/${encodeURIComponent(id)}/slis${qs.size ? `?${qs}` : ''}`)
  if (res.status !== 200) throw new CliExit(1, `slis failed (HTTP ${res.status}): ${errorMessage(res.body)}`)
  const s = res.body as SliSeries
  if (opts.json) {
    console.log(JSON.stringify(s, null, 2))
    return
  }
  if (s.points.length === 0) {
    console.log(`no events of ${s.source} for ${s.experimentId} since ${new Date(s.fromMs).toISOString()}`)
    return
  }
  console.log(`${s.experimentId} ${s.metric} (events of ${s.source}), window ${s.window}`)
  console.log(table(
    ['BUCKET', 'VARIANT', 'EVENTS', 'MEAN', 'P50', 'P90', 'P95', 'P99'],
    s.points.map((p) => [new Date(p.bucketMs).toISOString(), p.variant, p.events, fmt(p.mean), fmt(p.p50), fmt(p.p90), fmt(p.p95), fmt(p.p99)]),
  ))
}
