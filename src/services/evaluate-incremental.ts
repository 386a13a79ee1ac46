import { DEFAULT_MISROUTING_WINDOW_MS } from '../decide/misrouting.js'
import { metricsOf } from '../domain/experiment.js'
import type { ExperimentRecord } from '../domain/experiment-record.js'
import type { QueryParams, Warehouse } from '../ports/warehouse.js'
import { sqlQuery } from '../sql-files.js'
import { applyIncrement, hasUnits, type Sums } from '../stats/incremental-sums.js'
import { kindParams, readEvaluationBatch, type EvaluationReads, type MisroutingRow, type Spec, type SupplyRows, type UnitsRow } from './evaluate-batch.js'
import { BASE, INCREMENT, LAYOUT, rebaseAfterMs, rowOf, withRecentLastEvents, type Kind } from './evaluate-incremental-rows.js'
import { advanceQuantiles, advanceRecent, specName, type HeldArms, type HeldContext, type HeldRecent } from './evaluate-incremental-held.js'
import { TouchedTable } from './evaluate-incremental-touched.js'

/** Misrouting-summary's parameters that are one per experiment (index-aligned with `experiments`). */
const ASSIGNMENT = ['layer_salts', 'variant_salts', 'alloc_starts', 'alloc_sizes', 'exposures', 'variants', 'thresholds'] as const

/** What is held for one spec (metric kinds) or one experiment (units): sums by variant, the watermark they are at, when to re-base. */
interface Held { at: number; rebaseAt: number; byVariant: Map<string, Sums> }

export interface IncrementalOptions {
  /** Events received within this long before the cycle's `now` wait for the next cycle (in-flight inserts, group commit). */
  graceMs: number
  /** A held entry is read again from a base this long after its last one at most (half as long at least, fixed per experiment: rebaseAfterMs). */
  rebaseMs: number
}

type Select = (name: string, params: Record<string, unknown>) => Promise<Array<Record<string, number | string | null>>>

/** The experiment of a held entry's name (every name starts with it, then \u0000 if more follows). */
const experimentOf = (name: string) => name.split('\u0000')[0]!

/**
 * The evaluation reads of readEvaluationBatch, with the passes that are sums over units —
 * variant-stats, ratio-stats, cuped-stats, variant-units and misrouting-summary's cumulative counts —
 * the quantile arms (sorted entries per arm, evaluate-incremental-quantile.ts) and misrouting's recent
 * window (per-unit (t1, t2, g1) rows without unit ids, evaluate-incremental-recent.ts;
 * both in evaluate-incremental-held.ts) held in memory and moved forward each cycle by the units
 * touched since the last one, so their cost follows the data received since, not all data (issue 16 item 3). The touched units are found once
 * per cycle: every event up to the new watermark of each unit id with an event received since the
 * oldest held one goes into the reader's own Memory table (TouchedTable), and each pass's increment
 * (sql/queries/*-incremental.sql) aggregates its units old and new from there. The first read of a
 * spec or experiment, and a re-base (rebaseAfterMs: between half and all of `rebaseMs`, fixed per
 * experiment, so re-bases spread over cycles), is the batch aggregation bounded by received_at
 * (sql/queries/*-base.sql). The other passes (SLO windows, unknown-variant dead letters) are run
 * in full: see bench/README.md "Evaluation cycle (issue 16 item 3)" for why and what they cost. The evaluate-cycle job reads through one of these when
 * RUNWAY_EVAL_INCREMENTAL is on (src/config.ts).
 *
 * Exact whatever the grace: an event that becomes visible after the watermark passed its received_at
 * (a journal replayed after a crash, a retried batch whose received_at is its first attempt's, an
 * insert slower than the grace) is found by dropLate's count check at the next cycle, and that
 * experiment is read from a base. The grace only makes such rebases rare (in-flight inserts).
 */
export class IncrementalEvaluationReader {
  private readonly held: Record<Kind, Map<string, Held>> = { stats: new Map(), ratio: new Map(), cuped: new Map(), units: new Map(), misrouting: new Map() }
  private readonly quantiles = new Map<string, HeldArms>()
  private readonly recent = new Map<string, HeldRecent>()
  private readonly touched = new TouchedTable()

  constructor(private readonly warehouse: Warehouse, private readonly opts: IncrementalOptions) {}

  /** Drops what is held for experiments not in `keep` (stopped, paused: read in full when they run again). */
  retain(keep: ReadonlySet<string>): void {
    this.dropExperiments((e) => !keep.has(e))
  }

  /** Experiments whose held sums were dropped because events became visible behind their watermark (since this reader was made). */
  lateRebases = 0

  /** All events received <= `at`, counted at the cycle that moved CUPED's held sums to `at`. */
  private allEvents: { at: number; count: number } | undefined

  /**
   * The checks that keep the held sums exact whatever the grace, in one scan of received_at per cycle
   * (events-received-upto.sql; they were two scans). dropLate: every experiment's held event count
   * (variant-units' events, as of its watermark) against the events visible now with received_at at or
   * before that watermark. They differ only when events became visible after the watermark passed them
   * (an insert slower than the grace, a replayed journal, a retried batch keeping its first received_at)
   * or were deleted (retention): then everything held for that experiment is dropped and this cycle
   * reads it from a base. All of an experiment's entries move to the same watermark each cycle, so the
   * units entry's stands for all of them. dropLateCuped: CUPED's held covariate sums read events of any
   * experiment, so a late event of an experiment outside the cycle (or not held) is not seen by the
   * first check; all events received at or before the last cycle's watermark are counted again, and a
   * different count drops every held CUPED spec (read from a base this cycle). Also records this
   * cycle's count. Same decisions, in the same order, as the two separate queries made.
   */
  private async dropLate(records: readonly ExperimentRecord[], to: number, select: Select): Promise<void> {
    const held = records.flatMap(({ spec: { id: e } }) => {
      const h = this.held.units.get(e)
      return h ? [{ e, at: h.at, events: [...h.byVariant.values()].reduce((n, x) => n + Number(x.events ?? 0), 0) }] : []
    })
    const cuped = () => this.held.cuped.size > 0 || records.some((r) => metricsOf(r.spec).some((m) => m.metric.covariate))
    if (held.length === 0 && !cuped()) return
    const previous = this.allEvents?.at ?? to
    const rows = await select('events-received-upto', { experiments: held.map((x) => x.e), watermarks_ms: held.map((x) => x.at), previous_ms: previous, to_ms: to })
    const seen = new Map(rows.map((r) => [String(r.experiment_id), Number(r.held)]))
    const late = new Set(held.filter((x) => (seen.get(x.e) ?? 0) !== x.events).map((x) => x.e))
    if (late.size > 0) {
      this.lateRebases += late.size
      this.dropExperiments((e) => late.has(e))
    }
    // Asked after the drop above, as when this was its own query run after it (the drop only shrinks it).
    if (!cuped()) return
    const total = (column: string) => rows.reduce((n, r) => n + Number(r[column] ?? 0), 0)
    if (this.allEvents && total('previous') !== this.allEvents.count && this.held.cuped.size > 0) {
      this.lateCupedRebases++
      this.held.cuped.clear()
    }
    this.allEvents = { at: to, count: total('current') }
  }

  /** How many times held CUPED sums were dropped because events became visible behind the watermark. */
  lateCupedRebases = 0

  /** Drops every held entry (all kinds) of the experiments `drop` names. */
  private dropExperiments(drop: (experiment: string) => boolean): void {
    for (const map of [...Object.values(this.held), this.quantiles, this.recent]) for (const k of map.keys()) if (drop(experimentOf(k))) map.delete(k)
  }

  /** Drops everything held: the next read is a full pass. */
  reset(): void {
    for (const map of Object.values(this.held)) map.clear()
    this.quantiles.clear()
    this.recent.clear()
    this.allEvents = undefined
  }

  async read(records: readonly ExperimentRecord[], { now, misroutingWindowMs = DEFAULT_MISROUTING_WINDOW_MS, onQuery }: {
    now: number
    misroutingWindowMs?: number
    onQuery?: (name: string, ms: number) => void
  }): Promise<Map<string, EvaluationReads>> {
    const to = now - this.opts.graceMs
    const select = async (name: string, params: Record<string, unknown>) => {
      const t = performance.now()
      const rows = await this.warehouse.select<Record<string, number | string | null>>(sqlQuery(name), params as QueryParams)
      onQuery?.(name, performance.now() - t)
      return rows
    }
    const supply: SupplyRows = async (q) => {
      if (q.kind === 'units') {
        const held = await this.advance('units', q.experiments.map((e) => ({ name: e, key: e })), to, now, select, (list) => ({ experiments: list.map((x) => x.key) }))
        if (to >= now) return held
        return withRecentLastEvents(held as UnitsRow[], await select('variant-last-event-recent-batch', { experiments: q.experiments, from_ms: to }))
      }
      if (q.kind === 'misrouting') return this.misrouting(q.params!, to, now, now - misroutingWindowMs, select)
      if (q.kind === 'quantile') return advanceQuantiles(this.quantiles, q.specs, this.context(to, now, select), onQuery)
      if (q.kind !== 'stats' && q.kind !== 'ratio' && q.kind !== 'cuped') return undefined
      const kind = q.kind
      const entries = q.specs.map((s) => ({ name: specName(s), key: s.key, spec: s }))
      return this.advance(kind, entries, to, now, select, (list) => kindParams(kind, list.map((x) => x.spec!), now))
    }
    try {
      await this.dropLate(records, to, select)
      this.window = { from: this.oldestIncrement(new Set(records.map((r) => r.spec.id)), to, now), to }
      return await readEvaluationBatch(this.warehouse, records, { now, misroutingWindowMs, onQuery, supply })
    } catch (error) {
      // Some entries may have moved and others not: nothing held is trusted after a failed cycle.
      this.reset()
      throw error
    } finally {
      this.window = undefined
      await this.touched.drop(select)
    }
  }

  /** This cycle's increment window: from the oldest watermark an entry moves from this cycle, to the new one. */
  private window: { from: number; to: number } | undefined

  /** Whether an entry is read from a base this cycle (new, due, or ahead of the watermark: the clock went back). */
  private dueForBase<H extends { at: number; rebaseAt: number }>(h: H | undefined, to: number, now: number): h is undefined {
    return !h || now >= h.rebaseAt || h.at > to
  }

  /** The oldest watermark among the entries of `experiments` that move by an increment this cycle (`to` when none). */
  private oldestIncrement(experiments: ReadonlySet<string>, to: number, now: number): number {
    let from = to
    for (const map of [...Object.values(this.held), this.quantiles, this.recent]) {
      for (const [name, h] of map) if (experiments.has(experimentOf(name)) && !this.dueForBase(h, to, now)) from = Math.min(from, h.at)
    }
    return from
  }

  /**
   * Misrouting: the cumulative units and misrouted held per experiment under its assignment (a unit's
   * misrouting depends on it: a ramp or reallocation is a new entry, read from a base), moved by the
   * touched units; the recent-window counts held the same way (recentWindow), each cycle's window start
   * cutting off the units that left it without any event to mark it.
   */
  private async misrouting(params: Record<string, unknown>, to: number, now: number, since: number, select: Select): Promise<MisroutingRow[]> {
    const experiments = params.experiments as string[]
    const entries = experiments.map((e, i) => ({ name: `${e}\u0000${JSON.stringify(ASSIGNMENT.map((a) => (params[a] as unknown[])[i]))}`, key: e, index: i }))
    const subset = (list: typeof entries) => ({
      ...params,
      experiments: list.map((x) => x.key),
      ...Object.fromEntries(ASSIGNMENT.map((a) => [a, list.map((x) => (params[a] as unknown[])[x.index])])),
    })
    // Counts held under an experiment's previous assignment are of no more use.
    const names = new Set(entries.map((x) => x.name))
    const cycle = new Set(experiments)
    for (const map of [this.held.misrouting, this.recent]) for (const k of map.keys()) if (!names.has(k) && cycle.has(experimentOf(k))) map.delete(k)
    const cumulative = new Map((await this.advance('misrouting', entries, to, now, select, subset) as MisroutingRow[]).map((r) => [r.experiment_id, r]))
    const recent = await advanceRecent(this.recent, entries, since, subset, this.context(to, now, select))
    return experiments.map((e) => ({
      experiment_id: e, units: cumulative.get(e)?.units ?? 0, misrouted: cumulative.get(e)?.misrouted ?? 0,
      recent_units: recent.get(e)?.recent_units ?? 0, recent_misrouted: recent.get(e)?.recent_misrouted ?? 0,
    }))
  }

  /** The cycle as the held passes of evaluate-incremental-held.ts see it. */
  private context(to: number, now: number, select: Select): HeldContext {
    return {
      to, now, select: select as HeldContext['select'], due: (h) => this.dueForBase(h, to, now),
      touched: (from) => this.touchedSince(from, to, select), rebaseAfter: (e) => rebaseAfterMs(e, this.opts.rebaseMs),
    }
  }

  /** Brings each entry to `to` (a base for the new or due ones, an increment per watermark for the rest) and returns its rows. */
  private async advance<E extends { name: string; key: number | string; spec?: Spec }>(
    kind: Kind, entries: E[], to: number, now: number, select: Select, paramsFor: (list: E[]) => Record<string, unknown>,
  ): Promise<unknown[]> {
    const map = this.held[kind]
    const groups = new Map<number, E[]>() // by watermark; -1: a base
    for (const e of entries) {
      const h = map.get(e.name)
      const from = this.dueForBase(h, to, now) ? -1 : h.at
      if (from === -1) map.delete(e.name)
      groups.set(from, [...(groups.get(from) ?? []), e])
    }
    const idOf = kind === 'units' || kind === 'misrouting' ? 'experiment_id' : 'key'
    for (const [from, list] of groups) {
      if (from === to) continue
      const byKey = new Map(list.map((e) => [String(e.key), e]))
      const rows = from === -1
        ? await select(BASE[kind], { ...paramsFor(list), to_ms: to })
        : await select(INCREMENT[kind], { ...paramsFor(list), touched: await this.touchedSince(from, to, select), from_ms: from, to_ms: to })
      for (const e of list) {
        const experiment = experimentOf(e.name)
        const h = map.get(e.name) ?? { at: to, rebaseAt: now + rebaseAfterMs(experiment, this.opts.rebaseMs), byVariant: new Map<string, Sums>() }
        h.at = to
        map.set(e.name, h)
      }
      for (const r of rows) {
        const e = byKey.get(String(r[idOf]))
        if (e) applyIncrement(map.get(e.name)!.byVariant, String(r.variant ?? ''), r, LAYOUT[kind])
      }
    }
    return entries.flatMap((e) => [...map.get(e.name)!.byVariant].filter(([, s]) => hasUnits(s, LAYOUT[kind])).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([variant, s]) => rowOf(kind, e.key, variant, s)))
  }

  /** The cycle's touched table, filled on first use for the cycle's window (which covers every increment's). */
  private async touchedSince(from: number, to: number, select: Select): Promise<string> {
    const w = this.window
    if (!w || w.from > from || w.to !== to) throw new Error(`increment from ${from} outside the cycle's window`)
    return this.touched.fill(w.from, w.to, select)
  }
}
