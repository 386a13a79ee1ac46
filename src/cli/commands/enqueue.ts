import { readFileSync } from 'node:fs'
import { parseSpecText } from '../../api/spec-body.js'
import { callServer, errorMessage } from '../client.js'
import { CliExit } from '../output.js'
import { readSpecFile } from './validate.js'

/** `runway enqueue spec.yaml`: sends the spec to the server; a refusal lists every failed rule. */
export async function enqueueCommand(file: string, opts: { server: string; actor: string }): Promise<void> {
  const text = file === '-' ? readFileSync(0, 'utf8') : readSpecFile(file)
  const spec = parseSpecText(text, file)
  const res = await callServer(opts.server, '/v1/experiments', {
    method: 'POST',
    body: JSON.stringify(spec),
    headers: { 'content-type': 'application/json', 'x-runway-actor': opts.actor },
  })
  if (res.status === 201) {
    const e = (res.body as { experiment: { id: string; state: string } }).experiment
    console.log(`${e.id}: ${e.state}`)
    return
  }
  if (res.status === 422) {
    const b = res.body as { experimentId: string; failures: Array<{ rule: string; path: string; message: string }> }
    for (const f of b.failures) console.log(`${f.path}: ${f.message} [policy: ${f.rule}]`)
    throw new CliExit(1, `${b.experimentId}: rejected by policy (${b.failures.length} rule(s) failed)`)
  }
  throw new CliExit(1, `enqueue failed (HTTP ${res.status}): ${errorMessage(res.body)}`)
}
