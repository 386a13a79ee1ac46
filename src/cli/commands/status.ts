import type { ExperimentView } from '../../api/views.js'
import { callServer, errorMessage } from '../client.js'
import { CliExit, table } from '../output.js'

/** `runway status`: every experiment with state, result (once ended), step and exposure. */
export async function statusCommand(opts: { server: string; json?: boolean }): Promise<void> {
  const res = await callServer(opts.server, '/v1/experiments')
  if (res.status !== 200) throw new CliExit(1, `status failed (HTTP ${res.status}): ${errorMessage(res.body)}`)
  const list = (res.body as { experiments: ExperimentView[] }).experiments
  if (opts.json) {
    console.log(JSON.stringify({ experiments: list }, null, 2))
    return
  }
  if (list.length === 0) {
    console.log('no experiments yet (enqueue one with `runway enqueue spec.yaml`)')
    return
  }
  console.log(
    table(
      ['EXPERIMENT', 'LAYER', 'STATE', 'RESULT', 'STEP', 'EXPOSURE', 'PRIORITY', 'OWNER'],
      list.map((e) => [e.id, `${e.namespace}/${e.layer}`, e.state, e.result ?? '-', `${e.step}/${e.steps}`, `${e.exposure}%`, e.priority, e.owner]),
    ),
  )
}
