import { RunwayError } from '../errors.js'

/**
 * Misrouting's recent window held per experiment (issue 16 item 3), so misrouting-recent-batch.sql's
 * full read (every event of the last hour, sorted per experiment, every cycle) is replaced by the
 * touched units. A unit is three numbers (misrouting-recent-base.sql): t1, the latest ts of its
 * variants; t2, the latest ts of any other variant (0: none); g1, whether the gate misroutes it under
 * t1's variant. For a window start s the unit is in the window iff t1 >= s, and misrouted iff also
 * t2 >= s or g1. A unit leaves the window with no event to mark it: the rows are kept sorted by t1, and
 * each cycle drops those below its window start. Held: exactly the units whose t1 (as of the watermark)
 * is at or after `floor`, the last window start; a t2 below `floor` is below every later start too, so
 * all such t2 are one value (a unit's old row matches its held row whichever of them it holds).
 * No unit ids are held: a touched unit's old row (from its events as of the old watermark) is taken out
 * by value, and any held row equal to it stands for it.
 */
export interface RecentRows { t1: Float64Array; t2: Float64Array; g1: Uint8Array; floor: number }

/** One touched unit's row as of the old and the new watermark (misrouting-recent-incremental.sql). */
export interface RecentChange { has_old: unknown; t1_old: unknown; t2_old: unknown; g1_old: unknown; has_new: unknown; t1_new: unknown; t2_new: unknown; g1_new: unknown }

/** A held window that does not hold a row being taken out of it: the held state is not that of the warehouse. */
export class HeldRecentMismatch extends RunwayError {
  constructor(message: string) {
    super('HELD_RECENT_MISMATCH', message)
  }
}

/** Rows from misrouting-recent-base.sql's row for one experiment (sorted by t1 there), held from `floor` (its window start). */
export function recentOfBase(r: { t1s: unknown[]; t2s: unknown[]; g1s: unknown[] }, floor: number): RecentRows {
  return { t1: Float64Array.from(r.t1s, Number), t2: Float64Array.from(r.t2s, Number), g1: Uint8Array.from(r.g1s, Number), floor }
}

export const emptyRecent = (floor: number): RecentRows => ({ t1: new Float64Array(0), t2: new Float64Array(0), g1: new Uint8Array(0), floor })

/**
 * The rows after the touched units' changes, then without the units that left the window before
 * `since` (the new floor, not before the old one: the clock going back is a base, not this).
 */
export function applyRecentChanges(held: RecentRows, changes: readonly RecentChange[], since: number): RecentRows {
  if (since < held.floor) throw new HeldRecentMismatch('window start before the held floor')
  const n = held.t1.length
  const floor = held.floor
  const dead = new Uint8Array(n)
  const add: Array<[number, number, number]> = []
  for (const c of changes) {
    const t1o = Number(c.t1_old)
    if (Number(c.has_old) === 1 && t1o >= floor) {
      const t2o = Number(c.t2_old)
      const g1o = Number(c.g1_old)
      let lo = 0
      let hi = n
      while (lo < hi) { const mid = (lo + hi) >>> 1; if (held.t1[mid]! < t1o) lo = mid + 1; else hi = mid }
      let i = lo
      while (i < n && held.t1[i] === t1o && (dead[i] === 1 || held.g1[i] !== g1o || !(held.t2[i] === t2o || (held.t2[i]! < floor && t2o < floor)))) i++
      if (i >= n || held.t1[i] !== t1o) throw new HeldRecentMismatch(`held recent window does not hold a unit at ${t1o}`)
      dead[i] = 1
    }
    if (Number(c.has_new) === 1 && Number(c.t1_new) >= since) add.push([Number(c.t1_new), Number(c.t2_new), Number(c.g1_new)])
  }
  add.sort((a, b) => a[0] - b[0])
  let size = 0
  for (let i = 0; i < n; i++) if (dead[i] === 0 && held.t1[i]! >= since) size++
  size += add.length
  const out: RecentRows = { t1: new Float64Array(size), t2: new Float64Array(size), g1: new Uint8Array(size), floor: since }
  let o = 0
  let a = 0
  const put = (t1: number, t2: number, g1: number) => { out.t1[o] = t1; out.t2[o] = t2; out.g1[o] = g1; o++ }
  for (let i = 0; i < n; i++) {
    if (dead[i] === 1 || held.t1[i]! < since) continue
    while (a < add.length && add[a]![0] < held.t1[i]!) { const x = add[a++]!; put(x[0], x[1], x[2]) }
    put(held.t1[i]!, held.t2[i]!, held.g1[i]!)
  }
  while (a < add.length) { const x = add[a++]!; put(x[0], x[1], x[2]) }
  return out
}

/** misrouting-recent-batch.sql's counts for the held rows at their floor (every held row is in the window). */
export function recentCounts(held: RecentRows): { recent_units: number; recent_misrouted: number } {
  let misrouted = 0
  for (let i = 0; i < held.t1.length; i++) if (held.g1[i] === 1 || held.t2[i]! >= held.floor) misrouted++
  return { recent_units: held.t1.length, recent_misrouted: misrouted }
}
