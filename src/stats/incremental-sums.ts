/**
 * Sufficient statistics kept across evaluation cycles and moved forward by increments (issue 16
 * item 3, src/services/evaluate-incremental.ts). An increment row carries, for one group (a spec key
 * and variant, or an experiment and variant), each additive field twice: summed over the touched
 * units' aggregates before the window (`<field>_old`) and after it (`<field>_new`). The held value
 * moves by new − old: a unit whose aggregate changed is taken out as it was and put back as it is,
 * so the update is exact for any per-unit function (a mean, a square, a rate), not only for sums of
 * events. A max field (`<field>_max`) only grows as events arrive: the larger value is kept.
 * Pure: no I/O, no clock.
 */
export type Sums = Record<string, number>

export interface SumsLayout {
  /** Fields moved by new − old. */
  additive: readonly string[]
  /** Fields that keep the larger of held and incoming (null: none yet). */
  max?: readonly string[]
  /** The field whose zero means the group has no unit (the full pass has no row for it then). */
  count: string
}

type Cell = number | string | null | undefined
const num = (x: Cell) => (x === null || x === undefined ? 0 : Number(x))

/** Applies one increment row to the group's held sums (created at zero when new); returns the held sums. */
export function applyIncrement(held: Map<string, Sums>, group: string, row: Record<string, Cell>, layout: SumsLayout): Sums {
  let s = held.get(group)
  if (!s) {
    s = Object.fromEntries(layout.additive.map((f) => [f, 0]))
    for (const f of layout.max ?? []) s[f] = Number.NEGATIVE_INFINITY
    held.set(group, s)
  }
  for (const f of layout.additive) s[f] = s[f]! + num(row[`${f}_new`]) - num(row[`${f}_old`])
  for (const f of layout.max ?? []) {
    const x = row[`${f}_max`]
    if (x !== null && x !== undefined && Number(x) > s[f]!) s[f] = Number(x)
  }
  return s
}

/** A max field as the full pass gives it: null when no value was seen. */
export const maxOrNull = (x: number) => (x === Number.NEGATIVE_INFINITY ? null : x)

/** Whether the group has a unit now (the full pass has no row for a group without one). */
export const hasUnits = (s: Sums, layout: SumsLayout) => s[layout.count]! > 0
