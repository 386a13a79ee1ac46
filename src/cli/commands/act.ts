import { callServer, errorMessage } from '../client.js'
import { CliExit } from '../output.js'

/** `runway pause|resume|rollback|cancel|approve|archive <id> --reason "…"`. */
export async function actCommand(action: string, id: string, opts: { server: string; actor: string; reason: string }): Promise<void> {
  const res = await callServer(opts.server, `/v1/experiments/${encodeURIComponent(id)}/${action}`, {
    method: 'POST',
    body: JSON.stringify({ reason: opts.reason }),
    headers: { 'content-type': 'application/json', 'x-runway-actor': opts.actor },
  })
  if (res.status !== 200) throw new CliExit(1, `${action} ${id} failed (HTTP ${res.status}): ${errorMessage(res.body)}`)
  const { event } = res.body as { event: { from: string; to: string; step: number } }
  console.log(`${id}: ${event.from} → ${event.to}${event.to === 'running' ? ` (step ${event.step + 1})` : ''}`)
}
