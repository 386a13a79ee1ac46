import type { QueueReport } from '../../services/runtime.js'
import { callServer, errorMessage } from '../client.js'
import { CliExit, table } from '../output.js'

/** `runway queue`: every waiting experiment with its place, aged priority and exactly why it waits. */
export async function queueCommand(opts: { server: string; json?: boolean }): Promise<void> {
  const res = await callServer(opts.server, '/v1/queue')
  if (res.status !== 200) throw new CliExit(1, `queue failed (HTTP ${res.status}): ${errorMessage(res.body)}`)
  const report = res.body as QueueReport
  if (opts.json) {
    console.log(JSON.stringify(report, null, 2))
    return
  }
  if (report.waiting.length === 0) console.log('nothing waiting')
  else {
    console.log(
      table(
        ['LAYER', 'POS', 'EXPERIMENT', 'PRIORITY', 'WAITS BECAUSE'],
        report.waiting.map((w) => [w.layer, w.position, w.experimentId, w.effectivePriority.toFixed(1), w.reason]),
      ),
    )
  }
  if (report.stuck.length > 0) {
    console.log(`\nstuck:\n${table(['EXPERIMENT', 'STATE', 'FOR', 'LIMIT'], report.stuck.map((s) => [s.experimentId, s.state, `${(s.forMs / 3_600_000).toFixed(1)}h`, `${(s.limitMs / 3_600_000).toFixed(1)}h`]))}`)
  }
  const layers = Object.entries(report.layers)
  if (layers.length > 0) console.log(`\nlayer usage: ${layers.map(([k, v]) => `${k} ${v.toFixed(1)}%`).join(', ')}`)
}
