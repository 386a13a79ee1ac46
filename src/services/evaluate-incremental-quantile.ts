import { RunwayError } from '../errors.js'

/**
 * One quantile arm held by the incremental reader (issue 16 item 3), so quantile-stats-batch.sql's
 * full read (every event of the quantile metrics, sorted per arm, every cycle) is replaced by the
 * touched units' values. Entries i are (values[i], squares[i], events[i]): a unit with e values sorted
 * w_1 <= … <= w_e holds w_k with the weights 2k − 1 and e. For any q, with b = #(unit's values <= q),
 * its entries with value <= q are its first b, whose weights sum to b² and b·e: so the arm's below-q
 * sums (Σb, Σb², Σb·e) are the entries with value <= q, and q may move freely between cycles. All
 * weights are integers, so the sums are exact (as the batch query's, whose terms are integers too).
 * Entries are sorted by (value, square weight, events weight): a unit's old entries are taken out by
 * one merge whatever other units hold equal ones.
 */
export interface QuantileArm { values: Float64Array; squares: Uint32Array; events: Uint32Array; units: number }

type Entry = [value: number, square: number, events: number]

/** The batch query's row for one arm (quantile-stats-batch.sql's columns). */
export interface QuantileArmRow {
  key: number; variant: string; events: number; units: number; quantile: number; lower: number; upper: number
  below_sum: number; below_sum_squares: number; events_sum: number; events_sum_squares: number; below_events_cross_sum: number
}

/** A held arm that does not hold what is being taken out of it: the held state is not that of the warehouse. */
export class HeldQuantileMismatch extends RunwayError {
  constructor(message: string) {
    super('HELD_QUANTILE_MISMATCH', message)
  }
}

const compare = (a: Entry, b: Entry) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]

/** A unit's entries from its values in an arm. */
export function unitEntries(values: readonly number[]): Entry[] {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.map((v, k) => [v, 2 * k + 1, sorted.length])
}

/** An arm from quantile-stats-base.sql's row (entries already sorted by the SQL). */
export function armOfBase(r: { units: unknown; entry_values: number[]; entry_squares: number[]; entry_events: number[] }): QuantileArm {
  return { values: Float64Array.from(r.entry_values), squares: Uint32Array.from(r.entry_squares), events: Uint32Array.from(r.entry_events), units: Number(r.units) }
}

/** The first index of `arm` whose entry is not below `x` (entries sorted by all three fields), searching [lo, n). */
function lowerBound(arm: QuantileArm, x: Entry, lo: number): number {
  let hi = arm.values.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const d = arm.values[mid]! - x[0] || arm.squares[mid]! - x[1] || arm.events[mid]! - x[2]
    if (d < 0) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * The arm after the units' changes (their values before and after), `arm` unchanged; undefined arm = empty.
 * The few changed entries are placed by binary search and the runs between them copied whole: a cycle
 * costs one copy of the arm (an entry-by-entry merge cost 1.1 s per cycle for 2.5M values at 10M events).
 */
export function applyUnitChanges(arm: QuantileArm | undefined, changes: ReadonlyArray<{ old: readonly number[]; new: readonly number[] }>): QuantileArm {
  const held = arm ?? { values: new Float64Array(0), squares: new Uint32Array(0), events: new Uint32Array(0), units: 0 }
  const add = changes.flatMap((c) => unitEntries(c.new)).sort(compare)
  const remove = changes.flatMap((c) => unitEntries(c.old)).sort(compare)
  const n = held.values.length
  // Where each removed entry is (strictly increasing: equal entries are taken one after another) and where each added one goes.
  const removeAt: number[] = []
  for (const x of remove) {
    const i = lowerBound(held, x, removeAt.length > 0 ? removeAt[removeAt.length - 1]! + 1 : 0)
    if (i >= n || compare([held.values[i]!, held.squares[i]!, held.events[i]!], x) !== 0) throw new HeldQuantileMismatch(`held quantile arm does not hold value ${x[0]}`)
    removeAt.push(i)
  }
  const addAt = add.map((x) => lowerBound(held, x, 0))
  const size = n + add.length - remove.length
  const res: QuantileArm = { values: new Float64Array(size), squares: new Uint32Array(size), events: new Uint32Array(size), units: held.units }
  for (const c of changes) res.units += (c.new.length > 0 ? 1 : 0) - (c.old.length > 0 ? 1 : 0)
  if (res.units < 0) throw new HeldQuantileMismatch('held quantile arm: fewer units than taken out')
  let o = 0
  let from = 0
  const copyTo = (to: number) => {
    res.values.set(held.values.subarray(from, to), o); res.squares.set(held.squares.subarray(from, to), o); res.events.set(held.events.subarray(from, to), o)
    o += to - from
    from = to
  }
  let a = 0
  let r = 0
  while (a < add.length || r < removeAt.length) {
    // An added entry goes before the held entry at its position, so before that entry's removal.
    if (a < add.length && (r >= removeAt.length || addAt[a]! <= removeAt[r]!)) {
      copyTo(addAt[a]!)
      const x = add[a++]!
      res.values[o] = x[0]; res.squares[o] = x[1]; res.events[o] = x[2]; o++
    } else {
      copyTo(removeAt[r++]!)
      from++
    }
  }
  copyTo(n)
  return res
}

/** quantile-stats-batch.sql's row for a held arm at `level` (same order statistics, same formula); undefined when empty. */
export function quantileArmRow(key: number, variant: string, level: number, arm: QuantileArm): QuantileArmRow | undefined {
  const events = arm.values.length
  if (events === 0) return undefined
  const at = (p: number) => arm.values[Math.min(events, Math.max(1, Math.ceil(events * p - 1e-9))) - 1]!
  const h = 1.959963984540054 * Math.sqrt(level * (1 - level) / events)
  const q = at(level)
  // First entry with value > q (values sorted ascending).
  let lo = 0
  let hi = events
  while (lo < hi) { const mid = (lo + hi) >>> 1; if (arm.values[mid]! <= q) lo = mid + 1; else hi = mid }
  let belowSquares = 0
  let belowCross = 0
  let squares = 0
  for (let i = 0; i < events; i++) {
    squares += arm.squares[i]!
    if (i < lo) { belowSquares += arm.squares[i]!; belowCross += arm.events[i]! }
  }
  return {
    key, variant, events, units: arm.units, quantile: q, lower: at(level - h), upper: at(level + h),
    below_sum: lo, below_sum_squares: belowSquares, events_sum: events, events_sum_squares: squares, below_events_cross_sum: belowCross,
  }
}
