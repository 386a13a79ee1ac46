import type { FastifyInstance } from 'fastify'
import { compareReplay, verifyLive } from '../../services/audit.js'
import type { Runtime } from '../../services/runtime.js'

/**
 * The audit ledger, checked by the server that holds the live state (so the
 * live chain heads are compared too). Both answer 200: a failed check is a
 * finding, not a failed request; `ok` says which.
 */
export function registerAuditRoutes(app: FastifyInstance, rt: Runtime): void {
  app.get('/v1/audit/verify', async () => verifyLive(rt.warehouse, rt.state))

  app.get('/v1/audit/replay', async () => {
    const live = await rt.state.list()
    const comparison = await compareReplay(rt.warehouse, live)
    return {
      ok: comparison.ok,
      differences: comparison.differences,
      experiments: live.map((r) => ({ id: r.spec.id, state: r.state, step: r.step, ledgerSeq: r.ledgerSeq, ledgerHash: r.ledgerHash })),
    }
  })
}
