import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { parseWith } from '../../domain/validation.js'
import { InputError } from '../../errors.js'
import type { Runtime } from '../../services/runtime.js'
import { SLI_WINDOWS, sliSeries, type SliWindow } from '../../services/slis.js'
import { experimentNamespace, guard, param } from '../auth.js'

const SlisQuery = z.strictObject({
  metric: z.string().min(1).optional(),
  window: z.enum(Object.keys(SLI_WINDOWS) as [SliWindow, ...SliWindow[]]).default('5m'),
})

/**
 * GET /v1/experiments/:id/slis?metric=&window=: the SLI series of one metric (default: the
 * primary), per variant, in buckets of 1m, 5m, 1h, or one bucket since start / the last ramp
 * (docs/slis.md). Read permission on the experiment's namespace.
 */
export function registerSliRoutes(app: FastifyInstance, rt: Runtime): void {
  app.get<{ Params: { id: string } }>('/v1/experiments/:id/slis', guard('read', experimentNamespace(param('id'))), async (request) => {
    const parsed = parseWith(SlisQuery, request.query ?? {})
    if (!parsed.ok) throw new InputError('invalid query string', parsed.problems)
    const record = await rt.queue.get(request.params.id)
    const done = rt.metrics.sliQuerySeconds.startTimer()
    try {
      return await sliSeries(rt.warehouse, { record, metric: parsed.value.metric ?? record.spec.metrics.primary.name, window: parsed.value.window, now: rt.clock.now() })
    } finally {
      done()
    }
  })
}
