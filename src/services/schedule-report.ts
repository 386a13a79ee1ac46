import { type HousekeepingConfig, planHousekeeping, type Stuck } from '../domain/housekeeping.js'
import { layerUsage, planScheduleSteps, type Waiting } from '../domain/schedule.js'
import type { Clock } from '../ports/clock.js'
import type { QueueService } from './queue.js'
import { Slicer } from './schedule-slices.js'

export interface QueueReport {
  waiting: Waiting[]
  stuck: Stuck[]
  /** Percent held per namespace/layer. */
  layers: Record<string, number>
}

/**
 * The queue view (GET /v1/queue, `runway queue`): each waiting experiment's place in
 * its layer, aged priority and reason, the stuck ones, and layer usage. It is the
 * scheduler's own plan, read over shared records and cut into slices, so 10,000
 * queued experiments neither copy 10,000 records nor hold the event loop.
 * `visible`: only experiments of these namespaces (a layer's queue lies in one
 * namespace, so places do not change).
 */
export async function queueReport(
  d: { queue: QueueService; clock: Clock; housekeeping: HousekeepingConfig },
  visible: (namespace: string) => boolean = () => true,
): Promise<QueueReport> {
  const records = (await d.queue.snapshot()).filter((r) => visible(r.spec.namespace))
  // What the policy holds back waits with the policy's own reasons.
  const cannotStart = new Map(
    records.filter((r) => r.state === 'queued' && r.blockedBy).map((r) => [r.spec.id, `policy: ${r.blockedBy!.map((f) => `${f.rule} (${f.message})`).join('; ')}`]),
  )
  const { waiting } = await new Slicer().run(planScheduleSteps(records, { ...d.queue.scheduleOptions(), cannotStart }))
  const { stuck } = planHousekeeping(records, d.clock.now(), d.housekeeping)
  return { waiting, stuck, layers: Object.fromEntries(layerUsage(records)) }
}
