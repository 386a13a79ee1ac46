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
  /** namespace/layer */
  layer: string
  /** 1-based place in its layer's queue. */
  position: number
  /** Priority after aging. */
  effectivePriority: number
  reason: string
}

export interface ScheduleOptions {
  /** Percent of a layer experiments may hold in total. */
  layerCapacity: (namespace: string, layer: string) => number
  now: number
  /** Priority points a waiting experiment gains per hour, so none starves. Default 1. */
  agingPerHour?: number
  /** Experiments that may not start now (e.g. refused by policy), with why; they block nobody. */
  cannotStart?: ReadonlyMap<string, string>
}

/** Priority plus aging: an experiment that waits long enough overtakes newer, higher ones. */
export function effectivePriority(r: ExperimentRecord, now: number, agingPerHour = 1): number {
  return r.spec.priority + (agingPerHour * Math.max(0, now - r.enqueuedAt)) / 3_600_000
}

/**
 * Which queued experiments start now, in queue order per layer: effective priority
 * (with aging), then enqueue time, then id. A higher experiment that does not fit
 * blocks lower ones in its layer (it would otherwise starve behind small ones); it
 * never overbooks a layer: the held ranges never exceed the layer's capacity.
 */
export function planSchedule(records: ReadonlyArray<ExperimentRecord>, opts: ScheduleOptions): { schedule: ScheduleDecision[]; waiting: Waiting[] } {
  const aging = opts.agingPerHour ?? 1
  const held = new Map<string, Allocation[]>()
  for (const r of records) {
    if (HOLDS_TRAFFIC.has(r.state) && r.allocation) {
      const list = held.get(layerKey(r)) ?? []
      list.push(r.allocation)
      held.set(layerKey(r), list)
    }
  }
  const priority = new Map(records.map((r) => [r.spec.id, effectivePriority(r, opts.now, aging)]))
  const order = (a: ExperimentRecord, b: ExperimentRecord) =>
    priority.get(b.spec.id)! - priority.get(a.spec.id)! || a.enqueuedAt - b.enqueuedAt || a.spec.id.localeCompare(b.spec.id)
  const blockedBy = new Map<string, string>()
  const positions = new Map<string, number>()
  const schedule: ScheduleDecision[] = []
  const waiting: Waiting[] = []
  for (const r of records.filter((x) => x.state === 'queued').sort(order)) {
    const key = layerKey(r)
    const position = (positions.get(key) ?? 0) + 1
    positions.set(key, position)
    const wait = (reason: string) => waiting.push({ experimentId: r.spec.id, layer: key, position, effectivePriority: priority.get(r.spec.id)!, reason })
    const refusal = opts.cannotStart?.get(r.spec.id)
    if (refusal) {
      wait(refusal)
      continue
    }
    const blocker = blockedBy.get(key)
    if (blocker) {
      wait(`behind ${blocker}, which has a higher (aged) priority and waits for room in layer ${key}`)
      continue
    }
    const list = held.get(key) ?? []
    const size = Math.round((r.spec.trafficShare / 100) * BUCKETS)
    const capacity = Math.round((opts.layerCapacity(r.spec.namespace, r.spec.layer) / 100) * BUCKETS)
    const range = findFreeRange(list, size, capacity)
    if (!range) {
      const used = list.reduce((s, a) => s + a.size, 0)
      wait(`layer ${key} has ${((capacity - used) / 100).toFixed(2)}% free of ${(capacity / 100).toFixed(0)}%, needs ${r.spec.trafficShare}%`)
      blockedBy.set(key, r.spec.id)
      continue
    }
    list.push(range)
    held.set(key, list)
    schedule.push({ experimentId: r.spec.id, allocation: range })
  }
  return { schedule, waiting }
}

/** Percent of each layer held right now (scheduled, running and paused experiments). */
export function layerUsage(records: ReadonlyArray<ExperimentRecord>): Map<string, number> {
  const usage = new Map<string, number>()
  for (const r of records) if (HOLDS_TRAFFIC.has(r.state) && r.allocation) usage.set(layerKey(r), (usage.get(layerKey(r)) ?? 0) + (r.allocation.size / BUCKETS) * 100)
  return usage
}
