import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { OneLine } from '../../domain/input-limits.js'
import { parseWith } from '../../domain/validation.js'
import { InputError } from '../../errors.js'
import { PERSON_ACTIONS, type PersonAction } from '../../services/actions.js'
import type { Runtime } from '../../services/runtime.js'
import { actorOf, experimentNamespace, guard, param, readableNamespaces } from '../auth.js'
import { experimentView } from '../views.js'

// Strict: a mistyped `reasn` is named, not read as a missing reason. The reason is one ledger line.
const Body = z.strictObject({ reason: OneLine(1000).min(1, 'is required') })

function parseBody(text: string): unknown {
  if (text.trim() === '') return {}
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new InputError(`invalid JSON: ${(error as Error).message}`)
  }
}

export function registerActionRoutes(app: FastifyInstance, rt: Runtime): void {
  /** POST /v1/experiments/:id/{pause|resume|rollback|cancel|approve|archive} {"reason": "…"} */
  // Approving needs an approver; the other actions an experimenter. Unknown actions get the stricter check, then a 400.
  const permission = {
    param: 'action',
    byValue: { pause: 'experiments:act', resume: 'experiments:act', rollback: 'experiments:act', cancel: 'experiments:act', archive: 'experiments:act', approve: 'experiments:approve' },
    otherwise: 'experiments:approve',
  } as const
  app.post<{ Params: { id: string; action: string } }>('/v1/experiments/:id/:action', guard(permission, experimentNamespace(param('id'))), async (request) => {
    const { id, action } = request.params
    if (!(PERSON_ACTIONS as readonly string[]).includes(action)) {
      throw new InputError(`unknown action "${action}"; one of ${PERSON_ACTIONS.join(', ')}`)
    }
    const parsed = parseWith(Body, parseBody(String(request.body ?? '')))
    if (!parsed.ok) throw new InputError(`${action} needs a reason`, parsed.problems)
    const event = await rt.actions.act(id, action as PersonAction, actorOf(request), parsed.value.reason)
    return { event, experiment: experimentView(await rt.queue.get(id)) }
  })

  /** GET /v1/queue: waiting experiments with their place and why they wait, and stuck ones (of the namespaces the caller may read). */
  app.get('/v1/queue', async (request) => rt.queueReport(readableNamespaces(request)))
}
