import type { FastifyInstance } from 'fastify'
import { isRefusalEntry } from '../../domain/refusal.js'
import { readLedger } from '../../services/ledger.js'
import type { Runtime } from '../../services/runtime.js'
import { experimentNamespace, guard, param } from '../auth.js'

/**
 * GET /v1/experiments/:id/timeline: the experiment's ledger as a timeline. Each entry is a
 * `transition` or a `refusal` (a refused start, a held ramp: from === to, recorded once per
 * change, domain/refusal.ts), with its reason codes; `blockedBy` is what holds it now.
 */
export function registerTimelineRoute(app: FastifyInstance, rt: Pick<Runtime, 'queue' | 'warehouse'>): void {
  app.get<{ Params: { id: string } }>('/v1/experiments/:id/timeline', guard('read', experimentNamespace(param('id'))), async (request) => {
    const record = await rt.queue.get(request.params.id)
    const entries = (await readLedger(rt.warehouse, record.spec.id)).map((e) => ({
      seq: e.seq,
      at: new Date(e.at).toISOString(),
      kind: isRefusalEntry(e) ? ('refusal' as const) : ('transition' as const),
      from: e.from,
      to: e.to,
      step: e.step + 1,
      exposure: e.exposure,
      actor: e.actor,
      reason: e.reason,
      codes: e.codes ?? [],
      result: e.result ?? null,
    }))
    return { experimentId: record.spec.id, state: record.state, step: record.step + 1, blockedBy: record.blockedBy ?? null, entries }
  })
}
