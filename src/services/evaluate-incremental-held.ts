import type { Spec } from './evaluate-batch.js'
import { kindParams } from './evaluate-batch.js'
import { applyRecentChanges, emptyRecent, recentCounts, recentOfBase, type RecentChange, type RecentRows } from './evaluate-incremental-recent.js'
import { applyUnitChanges, armOfBase, quantileArmRow, type QuantileArm } from './evaluate-incremental-quantile.js'

/**
 * The incremental reader's passes held as per-arm or per-unit state rather than sums (issue 16 item 3):
 * the quantile arms and misrouting's recent window. Called by IncrementalEvaluationReader
 * (evaluate-incremental.ts) with the cycle's watermark, clock and touched table.
 */

type Select = (name: string, params: Record<string, unknown>) => Promise<Array<Record<string, number | string | null>>>

/** What a held pass needs from the reader's cycle. */
export interface HeldContext {
  to: number
  now: number
  select: Select
  /** Whether an entry is read from a base this cycle (the reader's dueForBase). */
  due: <H extends { at: number; rebaseAt: number }>(h: H | undefined) => h is undefined
  /** The cycle's touched table, filled for an increment from `from`. */
  touched: (from: number) => Promise<string>
  /** How long after its base an experiment's entries re-base (rebaseAfterMs). */
  rebaseAfter: (experiment: string) => number
}

/** What is held for one quantile spec: its arms (evaluate-incremental-quantile.ts) by variant. */
export interface HeldArms { at: number; rebaseAt: number; byVariant: Map<string, QuantileArm> }

/** What is held for misrouting's recent window of one experiment under one assignment (evaluate-incremental-recent.ts). */
export interface HeldRecent { at: number; rebaseAt: number; rows: RecentRows }

/** Specs or experiments per base query: its JSON result holds every value of their arms (~25k per quantile spec at 100M events). */
const BASE_CHUNK = 64

/** A stable name for a spec across cycles (the cycle's numeric keys are per cycle). */
export const specName = (s: Spec) => `${s.experiment}\u0000${JSON.stringify(s.metric)}`

/**
 * Misrouting's recent window per experiment and assignment, held (evaluate-incremental-recent.ts):
 * read from a base (misrouting-recent-base.sql, BASE_CHUNK experiments at a time) when new,
 * due, or when the window start went back; else moved by the touched units
 * (misrouting-recent-incremental.sql) and cut at this cycle's window start. Counts by experiment.
 */
export async function advanceRecent<E extends { name: string; key: string }>(held: Map<string, HeldRecent>, entries: E[], since: number, subset: (list: E[]) => Record<string, unknown>, ctx: HeldContext): Promise<Map<string, { recent_units: number; recent_misrouted: number }>> {
  const { to, now, select } = ctx
  const bases: E[] = []
  const groups = new Map<number, E[]>() // by watermark
  for (const e of entries) {
    const h = held.get(e.name)
    if (ctx.due(h) || since < h.rows.floor) {
      held.delete(e.name)
      bases.push(e)
    } else groups.set(h.at, [...(groups.get(h.at) ?? []), e])
  }
  for (let i = 0; i < bases.length; i += BASE_CHUNK) {
    const list = bases.slice(i, i + BASE_CHUNK)
    const rows = new Map((await select('misrouting-recent-base', { ...subset(list), to_ms: to })).map((r) => [String(r.experiment_id), r]))
    for (const e of list) {
      const r = rows.get(e.key)
      held.set(e.name, { at: to, rebaseAt: now + ctx.rebaseAfter(e.key), rows: r ? recentOfBase(r as unknown as Parameters<typeof recentOfBase>[0], since) : emptyRecent(since) })
    }
  }
  for (const [from, list] of groups) {
    const changes = new Map<string, RecentChange[]>()
    if (from !== to) {
      for (const r of await select('misrouting-recent-incremental', { ...subset(list), touched: await ctx.touched(from), from_ms: from, to_ms: to })) {
        changes.set(String(r.experiment_id), [...(changes.get(String(r.experiment_id)) ?? []), r as unknown as RecentChange])
      }
    }
    for (const e of list) {
      const h = held.get(e.name)!
      h.rows = applyRecentChanges(h.rows, changes.get(e.key) ?? [], since)
      h.at = to
    }
  }
  return new Map(entries.map((e) => [e.key, recentCounts(held.get(e.name)!.rows)]))
}

/**
 * Quantile: each spec's arms held (evaluate-incremental-quantile.ts), read from a base
 * (quantile-stats-base.sql, BASE_CHUNK at a time) when new or due, else moved by the touched
 * units' old and new values (quantile-stats-incremental.sql); the batch query's rows come from them.
 */
export async function advanceQuantiles(held: Map<string, HeldArms>, specs: Spec[], ctx: HeldContext, onQuery?: (name: string, ms: number) => void): Promise<unknown[]> {
  const { to, now, select } = ctx
  const bases: Spec[] = []
  const groups = new Map<number, Spec[]>() // by watermark
  for (const s of specs) {
    const h = held.get(specName(s))
    if (ctx.due(h)) {
      held.delete(specName(s))
      bases.push(s)
    } else if (h.at !== to) groups.set(h.at, [...(groups.get(h.at) ?? []), s])
  }
  const arms = (s: Spec) => held.get(specName(s))!
  for (let i = 0; i < bases.length; i += BASE_CHUNK) {
    const list = bases.slice(i, i + BASE_CHUNK)
    const rows = await select('quantile-stats-base', { ...kindParams('quantile', list, now), to_ms: to })
    for (const s of list) held.set(specName(s), { at: to, rebaseAt: now + ctx.rebaseAfter(s.experiment), byVariant: new Map() })
    const byKey = new Map(list.map((s) => [s.key, s]))
    for (const r of rows) arms(byKey.get(Number(r.key))!).byVariant.set(String(r.variant), armOfBase(r as unknown as Parameters<typeof armOfBase>[0]))
  }
  for (const [from, list] of groups) {
    const rows = await select('quantile-stats-incremental', { ...kindParams('quantile', list, now), touched: await ctx.touched(from), from_ms: from, to_ms: to })
    const t = performance.now()
    const changes = new Map<string, { s: Spec; variant: string; units: Array<{ old: number[]; new: number[] }> }>()
    const byKey = new Map(list.map((s) => [s.key, s]))
    for (const r of rows) {
      const k = `${String(r.key)}\u0000${String(r.variant)}`
      const c = changes.get(k) ?? { s: byKey.get(Number(r.key))!, variant: String(r.variant), units: [] }
      c.units.push({ old: r.old_values as unknown as number[], new: r.new_values as unknown as number[] })
      changes.set(k, c)
    }
    for (const c of changes.values()) {
      const byVariant = arms(c.s).byVariant
      byVariant.set(c.variant, applyUnitChanges(byVariant.get(c.variant), c.units))
    }
    for (const s of list) arms(s).at = to
    onQuery?.('quantile-held-merge', performance.now() - t)
  }
  const t = performance.now()
  const out = specs.flatMap((s) => [...arms(s).byVariant].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).flatMap(([variant, arm]) => quantileArmRow(s.key, variant, s.metric.quantile!, arm) ?? []))
  onQuery?.('quantile-held-rows', performance.now() - t)
  return out
}
