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
  /** false: leave `waiting` empty (the scheduler needs only what starts; the reasons are for the queue view). */
  explain?: boolean
}

/** Priority plus aging: an experiment that waits long enough overtakes newer, higher ones. */
export function effectivePriority(r: ExperimentRecord, now: number, agingPerHour = 1): number {
  return r.spec.priority + (agingPerHour * Math.max(0, now - r.enqueuedAt)) / 3_600_000
}

/** How many items a stepwise computation handles between two of its yields. */
export const STEP = 256

/** Runs a stepwise computation (a generator that yields between slices of work) to its end. */
export function runSteps<T>(steps: Generator<void, T>): T {
  for (;;) {
    const next = steps.next()
    if (next.done) return next.value
  }
}

/**
 * Which queued experiments start now, in queue order per layer: effective priority
 * (with aging), then enqueue time, then id. A higher experiment that does not fit
 * blocks lower ones in its layer (it would otherwise starve behind small ones); it
 * never overbooks a layer: the held ranges never exceed the layer's capacity.
 */
export function planSchedule(records: ReadonlyArray<ExperimentRecord>, opts: ScheduleOptions): { schedule: ScheduleDecision[]; waiting: Waiting[] } {
  return runSteps(planScheduleSteps(records, opts))
}

interface Entry {
  r: ExperimentRecord
  id: string
  priority: number
  enqueuedAt: number
  layer: string
}

/**
 * planSchedule in slices: yields every STEP experiments so that a shell can give its
 * event loop a turn over a long queue (the sort is the one step that is not cut).
 */
export function* planScheduleSteps(records: ReadonlyArray<ExperimentRecord>, opts: ScheduleOptions): Generator<void, { schedule: ScheduleDecision[]; waiting: Waiting[] }> {
  const aging = opts.agingPerHour ?? 1
  const explain = opts.explain ?? true
  const held = new Map<string, Allocation[]>()
  const queued: Entry[] = []
  for (const r of records) {
    if (HOLDS_TRAFFIC.has(r.state) && r.allocation) {
      const key = layerKey(r)
      const list = held.get(key)
      if (list) list.push(r.allocation)
      else held.set(key, [r.allocation])
    } else if (r.state === 'queued') {
      queued.push({ r, id: r.spec.id, priority: effectivePriority(r, opts.now, aging), enqueuedAt: r.enqueuedAt, layer: layerKey(r) })
    }
  }
  yield
  // Fields read straight from the entry: a comparator that looks them up in maps was most of the time at 10,000 queued.
  queued.sort((a, b) => b.priority - a.priority || a.enqueuedAt - b.enqueuedAt || a.id.localeCompare(b.id))
  yield
  const capacities = new Map<string, number>()
  const blockedBy = new Map<string, string>()
  const positions = new Map<string, number>()
  const schedule: ScheduleDecision[] = []
  const waiting: Waiting[] = []
  for (let i = 0; i < queued.length; i++) {
    if (i > 0 && i % STEP === 0) yield
    const { r, id, layer: key, priority } = queued[i]!
    const position = (positions.get(key) ?? 0) + 1
    positions.set(key, position)
    const wait = (reason: string) => waiting.push({ experimentId: id, layer: key, position, effectivePriority: priority, reason })
    const refusal = opts.cannotStart?.get(id)
    if (refusal) {
      if (explain) wait(refusal)
      continue
    }
    const blocker = blockedBy.get(key)
    if (blocker) {
      if (explain) wait(`behind ${blocker}, which has a higher (aged) priority and waits for room in layer ${key}`)
      continue
    }
    let list = held.get(key)
    if (!list) held.set(key, (list = []))
    const size = Math.round((r.spec.trafficShare / 100) * BUCKETS)
    let capacity = capacities.get(key)
    if (capacity === undefined) capacities.set(key, (capacity = Math.round((opts.layerCapacity(r.spec.namespace, r.spec.layer) / 100) * BUCKETS)))
    const range = findFreeRange(list, size, capacity)
    if (!range) {
      const used = list.reduce((s, a) => s + a.size, 0)
      if (explain) wait(`layer ${key} has ${((capacity - used) / 100).toFixed(2)}% free of ${(capacity / 100).toFixed(0)}%, needs ${r.spec.trafficShare}%`)
      blockedBy.set(key, id)
      continue
    }
    list.push(range)
    schedule.push({ experimentId: id, allocation: range })
  }
  return { schedule, waiting }
}

/** Percent of each layer held right now (scheduled, running and paused experiments). */
export function layerUsage(records: ReadonlyArray<ExperimentRecord>): Map<string, number> {
  const usage = new Map<string, number>()
  for (const r of records) if (HOLDS_TRAFFIC.has(r.state) && r.allocation) usage.set(layerKey(r), (usage.get(layerKey(r)) ?? 0) + (r.allocation.size / BUCKETS) * 100)
  return usage
}
