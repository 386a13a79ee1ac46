import type { FastifyInstance } from 'fastify'
import { compareReplay, verifyLive } from '../../services/audit.js'
import type { Runtime } from '../../services/runtime.js'
import { allNamespaces, guard } from '../auth.js'

/**
 * The audit ledger, checked by the server that holds the live state (so the
 * live chain heads are compared too). Both answer 200: a failed check is a
 * finding, not a failed request; `ok` says which.
 */
export function registerAuditRoutes(app: FastifyInstance, rt: Runtime): void {
  // The ledger is checked as a whole, so reading the result needs read on every namespace.
  app.get('/v1/audit/verify', guard('read', allNamespaces), async () => verifyLive(rt.warehouse, rt.state, rt.config.ledgerKey))

  app.get('/v1/audit/replay', guard('read', allNamespaces), async () => {
    const live = await rt.state.list()
    const comparison = await compareReplay(rt.warehouse, live)
    return {
      ok: comparison.ok,
      differences: comparison.differences,
      experiments: live.map((r) => ({ id: r.spec.id, state: r.state, step: r.step, ledgerSeq: r.ledgerSeq, ledgerHash: r.ledgerHash })),
    }
  })
}
