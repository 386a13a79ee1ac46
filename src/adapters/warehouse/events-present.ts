import type { QueryParams } from '../../ports/warehouse.js'

/** An event as the stored-already look-up sees it: its key columns and its time (epoch ms). */
export interface EventIdentity {
  experimentId: string
  eventId: string
  ms: number
}

/**
 * Parameters of sql/queries/events-present.sql for these events: their experiments and event ids,
 * and the event-time range that bounds the granules read. One place for the three recoveries that
 * ask it (the Kafka consumer's, the group-commit coalescer's retry, the events journal's).
 */
export function eventsPresentParams(events: ReadonlyArray<EventIdentity>): QueryParams {
  let fromMs = Infinity
  let toMs = -Infinity
  for (const e of events) {
    if (e.ms < fromMs) fromMs = e.ms
    if (e.ms > toMs) toMs = e.ms
  }
  return {
    experiments: JSON.stringify([...new Set(events.map((e) => e.experimentId))]),
    ids: JSON.stringify([...new Set(events.map((e) => e.eventId))]),
    fromMs,
    toMs,
  }
}
