import { BUCKETS } from './assignment.js'
import type { Allocation, ExperimentRecord } from './experiment-record.js'

/** States that hold bucket ranges in their layer. */
const HOLDS_TRAFFIC = new Set(['scheduled', 'running', 'paused'])

const layerKey = (r: ExperimentRecord) => `${r.spec.namespace}/${r.spec.layer}`

/** Queue order: higher priority first, then first enqueued, then id for a total order. */
export function queueOrder(a: ExperimentRecord, b: ExperimentRecord): number {
  return b.spec.priority - a.spec.priority || a.enqueuedAt - b.enqueuedAt || a.spec.id.localeCompare(b.spec.id)
}

/** First free contiguous range of `size` buckets among the held ones, or null. */
export function findFreeRange(held: Allocation[], size: number, capacityBuckets: number = BUCKETS): Allocation | null {
  const sorted = [...held].sort((a, b) => a.start - b.start)
  const usedTotal = sorted.reduce((s, a) => s + a.size, 0)
  if (usedTotal + size > capacityBuckets) return null
  let cursor = 0
  for (const a of sorted) {
    if (a.start - cursor >= size) return { start: cursor, size }
    cursor = Math.max(cursor, a.start + a.size)
  }
  return BUCKETS - cursor >= size ? { start: cursor, size } : null
}

export interface ScheduleDecision {
  experimentId: string
  allocation: Allocation
}

export interface Waiting {
  experimentId: string
  reason: string
}

/**
 * Which queued experiments can be scheduled now, in queue order. A higher-priority
 * experiment that does not fit blocks lower ones in its layer, so it cannot starve.
 */
export function planSchedule(
  records: ReadonlyArray<ExperimentRecord>,
  layerCapacity: (namespace: string, layer: string) => number,
): { schedule: ScheduleDecision[]; waiting: Waiting[] } {
  const held = new Map<string, Allocation[]>()
  for (const r of records) {
    if (HOLDS_TRAFFIC.has(r.state) && r.allocation) {
      const list = held.get(layerKey(r)) ?? []
      list.push(r.allocation)
      held.set(layerKey(r), list)
    }
  }
  const blocked = new Set<string>()
  const schedule: ScheduleDecision[] = []
  const waiting: Waiting[] = []
  for (const r of records.filter((x) => x.state === 'queued').sort(queueOrder)) {
    const key = layerKey(r)
    if (blocked.has(key)) {
      waiting.push({ experimentId: r.spec.id, reason: `behind a higher-priority experiment in layer ${key}` })
      continue
    }
    const list = held.get(key) ?? []
    const size = Math.round((r.spec.trafficShare / 100) * BUCKETS)
    const capacity = Math.round((layerCapacity(r.spec.namespace, r.spec.layer) / 100) * BUCKETS)
    const range = findFreeRange(list, size, capacity)
    if (!range) {
      const used = list.reduce((s, a) => s + a.size, 0)
      waiting.push({
        experimentId: r.spec.id,
        reason: `layer ${key} has ${((capacity - used) / 100).toFixed(2)}% free, needs ${r.spec.trafficShare}%`,
      })
      blocked.add(key)
      continue
    }
    list.push(range)
    held.set(key, list)
    schedule.push({ experimentId: r.spec.id, allocation: range })
  }
  return { schedule, waiting }
}
