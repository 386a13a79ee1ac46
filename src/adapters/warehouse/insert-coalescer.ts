import { createHash } from 'node:crypto'
import type { QueryParams, TableName, Warehouse } from '../../ports/warehouse.js'
import { checkDedupToken } from './clickhouse-warehouse.js'
import { type TokenColumn, withBatchToken } from './batch-token.js'
import { rowText, withRowText } from './row-text.js'

export interface CoalescerOptions {
  /** Tables whose concurrent inserts are combined; every other call goes straight through. */
  tables: ReadonlyArray<TableName>
  /** Most rows in one combined insert (a request larger than this still goes whole). */
  maxRows: number
  /** Per table, the rows of a call not stored yet (by key), for a call whose combined insert failed: it may have landed. */
  missing?: Partial<Record<TableName, (rows: ReadonlyArray<Record<string, unknown>>) => Promise<ReadonlyArray<Record<string, unknown>>>>>
  /**
   * Per table, where each call's own token is stored with its rows (first row), and how the
   * tokens stored most recently are read back (before the first insert of a process), so a retry
   * after a restart is recognised as it is before one. A table without it forgets on restart.
   */
  durable?: Partial<Record<TableName, { at: TokenColumn; recent: () => Promise<ReadonlyArray<string>> }>>
  /**
   * Most combined inserts running at once per table (default 1). Two in flight halved the rows
   * per insert and the throughput over HTTP (7.3 calls per insert, 6.0–7.1k ev/s against 13.6–14.3
   * and 12.3–12.9k with one, load 6–7, 2026-12-03): chDB writes concurrent parts no faster than
   * one after another, and each part's cost is mostly fixed (bench/README-group-commit.md).
   */
  inFlight?: number
  /** After an insert, at least how long to wait for the callers it answered to send again before the next one (default 5; 0: never wait). */
  lingerMs?: number
}

interface Pending {
  rows: ReadonlyArray<Record<string, unknown>>
  token: string | undefined
  done: (error?: unknown) => void
}

interface Lane {
  queue: Pending[]
  running: number
  /** Calls the last insert answered plus those queued behind it: the callers that will be back. */
  expected: number
  /** When the last insert returned (performance.now()), and how long it took. */
  doneAt: number
  tookMs: number
}

const RECENT_TOKENS = 100_000
/** Long enough for callers on this machine to send their next batch after an answer (HTTP round trip included), short against a part's 10–50 ms. */
const LINGER_MS = 5
/** The most a caller waits for others, however slow the last insert was. */
const MAX_LINGER_MS = 100

/**
 * Group commit for many small inserts (issue 16 item 2). Each insert costs the
 * engine a new part (35–45 ms for an events part with its projections, nearly
 * regardless of its size up to a few thousand rows), so 16 clients sending 100
 * events each paid 16 parts where one would do. While an insert into a table is
 * running, the calls that arrive are queued and then written as ONE insert; each
 * call resolves only after that insert returned, so an acknowledged batch is in
 * the warehouse as before.
 *
 * Deduplication per call holds, also across restarts:
 * - every call's own token is written with its rows (`durable`: events.batch_token
 *   on its first row, in the same part, so token and rows are stored together or
 *   not at all); a process reads the recent ones back before its first insert;
 * - a call that finds nothing running goes alone, under its own token as well (the
 *   engine's deduplication, as without the coalescer);
 * - a combined insert goes under a token derived from its members' tokens; a retry
 *   of a member, alone or in another group, is answered from the tokens committed
 *   (this process's, and the stored ones read at start: the last 100,000) and not
 *   written again;
 * - a combined insert that fails fails every member (never retried under its
 *   token: the engine may have recorded the token without the rows), and their
 *   tokens are remembered as in doubt: a retry of one of them goes alone, writing
 *   only its rows not stored yet where the table has a key (`missing`: events by
 *   experiment and event id), else under its own token.
 */
export class InsertCoalescer implements Warehouse {
  private readonly tables: Set<TableName>
  private readonly lanes = new Map<TableName, Lane>()
  private readonly committed = new Set<string>()
  private readonly doubtful = new Set<string>()
  private readonly loading = new Map<TableName, Promise<void>>()
  /**
   * Combined inserts written, and calls they carried (bench and metrics); `restored`: stored tokens read at start;
   * `insertMs` and `lingerMs`: time spent in the engine's inserts and in lingering before them (what a round trip is made of).
   */
  readonly stats = { inserts: 0, calls: 0, skippedRetries: 0, restored: 0, insertMs: 0, lingerMs: 0 }

  constructor(
    private readonly inner: Warehouse,
    private readonly opts: CoalescerOptions,
  ) {
    this.tables = new Set(opts.tables)
  }

  command(sql: string): Promise<void> {
    return this.inner.command(sql)
  }

  select<T>(sql: string, params?: QueryParams): Promise<T[]> {
    return this.inner.select<T>(sql, params)
  }

  close(): Promise<void> {
    return this.inner.close()
  }

  async insert(table: TableName, rows: ReadonlyArray<Record<string, unknown>>, options: { dedupToken?: string } = {}): Promise<void> {
    if (!this.tables.has(table)) return this.inner.insert(table, rows, options)
    if (rows.length === 0) return
    await this.restore(table)
    const token = options.dedupToken
    if (token !== undefined) {
      checkDedupToken(token)
      if (this.committed.has(this.key(table, token))) {
        this.stats.skippedRetries++
        return
      }
      // In doubt: the combined insert it was in may have landed under that group's token; only its own token is safe now.
      if (this.doubtful.has(this.key(table, token))) {
        const missing = this.opts.missing?.[table]
        const rest = missing ? await missing(rows) : rows
        if (rest.length > 0) await this.inner.insert(table, this.marked(table, rest, token), missing ? { dedupToken: `${token}/r` } : options)
        this.commit(table, token)
        return
      }
    }
    const lane = this.lanes.get(table) ?? { queue: [], running: 0, expected: 1, doneAt: -Infinity, tookMs: 0 }
    this.lanes.set(table, lane)
    return new Promise<void>((resolve, reject) => {
      lane.queue.push({ rows, token, done: (e) => (e === undefined ? resolve() : reject(e)) })
      if (lane.running < (this.opts.inFlight ?? 1)) void this.drain(table, lane)
    })
  }

  /** Once per table and process, before its first insert: the stored tokens, so a retry from before a restart is known (a failed read is tried again by the next call). */
  private restore(table: TableName): Promise<void> {
    const durable = this.opts.durable?.[table]
    if (durable === undefined) return Promise.resolve()
    let loading = this.loading.get(table)
    if (loading === undefined) {
      loading = durable.recent().then(
        (tokens) => {
          for (const t of tokens) this.remember(this.committed, this.key(table, t))
          this.stats.restored += tokens.length
        },
        (error: unknown) => {
          this.loading.delete(table)
          throw error
        },
      )
      this.loading.set(table, loading)
    }
    return loading
  }

  private async drain(table: TableName, lane: Lane): Promise<void> {
    lane.running++
    try {
      while (lane.queue.length > 0) {
        const l0 = performance.now()
        await this.linger(lane)
        const group = this.take(lane)
        const t0 = performance.now()
        this.stats.lingerMs += t0 - l0
        await this.write(table, group)
        this.stats.insertMs += performance.now() - t0
        lane.expected = group.length + lane.queue.length
        lane.doneAt = performance.now()
        lane.tookMs = lane.doneAt - t0
      }
    } finally {
      lane.running--
    }
  }

  /**
   * Right after an insert, until the callers it answered are back (as many calls queued as it
   * carried plus those that queued behind it), maxRows are queued, or lingerMs passed. Without
   * it, closed-loop callers split into two cohorts that alternate (half-size parts), or a lone
   * caller that comes back first is written alone. The wait is at most lingerMs or half the last
   * insert's time, whichever is longer (at most 100 ms); a lane idle longer than that does not wait.
   */
  private async linger(lane: Lane): Promise<void> {
    // Waiting up to half an insert's time costs less than the second part it saves (a part's cost is mostly fixed),
    // and on a loaded machine callers take longer than the floor to come back.
    const floor = this.opts.lingerMs ?? LINGER_MS
    const ms = floor <= 0 ? 0 : Math.max(floor, Math.min(lane.tookMs / 2, MAX_LINGER_MS))
    const start = performance.now()
    if (ms <= 0 || start - lane.doneAt > ms) return
    let rows = 0
    let counted = 0
    let spins = 0
    while (performance.now() - start < ms) {
      for (; counted < lane.queue.length; counted++) rows += lane.queue[counted]!.rows.length
      if (lane.queue.length >= lane.expected || rows >= this.opts.maxRows) return
      // A few turns of the event loop let in-process callers back; then 1 ms steps, not a busy wait.
      await new Promise((r) => (spins++ < 8 ? setImmediate(r) : setTimeout(r, 1)))
    }
  }

  /** The queued calls up to maxRows (at least one), one per token: a duplicate in the same group rides along. */
  private take(lane: Lane): Pending[] {
    const group: Pending[] = []
    let rows = 0
    while (lane.queue.length > 0) {
      const next = lane.queue[0]!
      if (group.length > 0 && rows + next.rows.length > this.opts.maxRows) break
      group.push(lane.queue.shift()!)
      rows += next.rows.length
    }
    return group
  }

  private async write(table: TableName, group: Pending[]): Promise<void> {
    const unique: Pending[] = []
    const seen = new Set<string>()
    for (const p of group) {
      if (p.token !== undefined && (seen.has(p.token) || this.committed.has(this.key(table, p.token)))) continue
      if (p.token !== undefined) seen.add(p.token)
      unique.push(p)
    }
    const finish = (error?: unknown) => {
      for (const p of group) p.done(error)
    }
    if (unique.length === 0) return finish()
    // Alone: its own token, so nothing changes for a lone caller. Together: a token named by every member.
    const token = unique.length === 1 ? unique[0]!.token : groupToken(unique.map((p) => p.token))
    const parts = unique.map((p) => (p.token === undefined ? p.rows : this.marked(table, p.rows, p.token)))
    const rows = parts.length === 1 ? parts[0]! : joined(parts)
    const options = token === undefined ? {} : { dedupToken: token }
    try {
      // No retry here: an engine that recorded the token without the rows would drop the retry as stored (kafka-recovery-lookup.test.ts).
      await this.inner.insert(table, rows, options)
    } catch (error) {
      if (unique.length > 1) for (const p of unique) if (p.token !== undefined) this.remember(this.doubtful, this.key(table, p.token))
      return finish(error)
    }
    this.stats.inserts++
    this.stats.calls += unique.length
    for (const p of unique) if (p.token !== undefined) this.commit(table, p.token)
    finish()
  }

  /** The rows with the call's token on the first one, where the table stores it. */
  private marked(table: TableName, rows: ReadonlyArray<Record<string, unknown>>, token: string): ReadonlyArray<Record<string, unknown>> {
    const at = this.opts.durable?.[table]?.at
    return at === undefined ? rows : withBatchToken(rows, token, at)
  }

  /** Tokens held in memory (committed and in doubt), at most RECENT_TOKENS each. */
  get remembered(): number {
    return this.committed.size + this.doubtful.size
  }

  private commit(table: TableName, token: string): void {
    this.doubtful.delete(this.key(table, token))
    this.remember(this.committed, this.key(table, token))
  }

  private key(table: TableName, token: string): string {
    return `${table}\u0000${token}`
  }

  private remember(set: Set<string>, key: string): void {
    set.add(key)
    if (set.size > RECENT_TOKENS) set.delete(set.values().next().value!)
  }
}

/** A member without a token makes the group unrepeatable: it gets a one-off part so the group's token is never reused. */
function groupToken(tokens: Array<string | undefined>): string {
  const h = createHash('sha256')
  for (const t of [...tokens].sort()) h.update(`${t ?? `none-${Math.random()}`}\n`)
  return `group-${h.digest('hex').slice(0, 40)}`
}

/** The members' rows as one block, with their written text joined too when every member has it. */
function joined(parts: ReadonlyArray<ReadonlyArray<Record<string, unknown>>>): ReadonlyArray<Record<string, unknown>> {
  const rows = parts.flat()
  const texts = parts.map(rowText)
  const into = texts[0]?.into
  return into !== undefined && texts.every((t) => t?.into === into) ? withRowText(rows, { into, ndjson: texts.map((t) => t!.ndjson).join('') }) : rows
}
