import { createHash } from 'node:crypto'
import type { QueryParams, TableName, Warehouse } from '../../ports/warehouse.js'
import { checkDedupToken } from './clickhouse-warehouse.js'
import { rowText, withRowText } from './row-text.js'

export interface CoalescerOptions {
  /** Tables whose concurrent inserts are combined; every other call goes straight through. */
  tables: ReadonlyArray<TableName>
  /** Most rows in one combined insert (a request larger than this still goes whole). */
  maxRows: number
  /** Per table, the rows of a call not stored yet (by key), for a call whose combined insert failed: it may have landed. */
  missing?: Partial<Record<TableName, (rows: ReadonlyArray<Record<string, unknown>>) => Promise<ReadonlyArray<Record<string, unknown>>>>>
}

interface Pending {
  rows: ReadonlyArray<Record<string, unknown>>
  token: string | undefined
  done: (error?: unknown) => void
}

interface Lane {
  queue: Pending[]
  running: boolean
}

const RECENT_TOKENS = 100_000

/**
 * Group commit for many small inserts (issue 16 item 2). Each insert costs the
 * engine a new part, so 16 clients sending 100 events each paid 16 parts where
 * one would do. While an insert into a table is running, the calls that arrive
 * are queued and then written as ONE insert; each call resolves only after that
 * insert returned, so an acknowledged batch is in the warehouse as before.
 *
 * Deduplication per call still holds:
 * - a call that finds nothing running goes alone, under its own token: exactly
 *   the engine's deduplication as without the coalescer (also across restarts);
 * - a combined insert goes under a token derived from its members' tokens; a
 *   retry of a member, alone or in another group, is answered from the tokens
 *   this process committed (the last 100,000) and not written again;
 * - a combined insert that fails fails every member (never retried under its
 *   token: the engine may have recorded the token without the rows), and their
 *   tokens are remembered as in doubt: a retry of one of
 *   them goes alone, writing only its rows not stored yet where the table has a
 *   key (`missing`: events by experiment and event id), else under its own token.
 * What stays open: a process that stops between a combined insert landing and
 * its callers' acknowledgements cannot answer a later retry from memory, and the
 * engine does not know the member's own token; bench/README-perf.md says so.
 */
export class InsertCoalescer implements Warehouse {
  private readonly tables: Set<TableName>
  private readonly lanes = new Map<TableName, Lane>()
  private readonly committed = new Set<string>()
  private readonly doubtful = new Set<string>()
  /** Combined inserts written, and calls they carried (bench and metrics). */
  readonly stats = { inserts: 0, calls: 0, skippedRetries: 0 }

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
        if (rest.length > 0) await this.inner.insert(table, rest, missing ? { dedupToken: `${token}/r` } : options)
        this.commit(table, token)
        return
      }
    }
    const lane = this.lanes.get(table) ?? { queue: [], running: false }
    this.lanes.set(table, lane)
    return new Promise<void>((resolve, reject) => {
      lane.queue.push({ rows, token, done: (e) => (e === undefined ? resolve() : reject(e)) })
      if (!lane.running) void this.drain(table, lane)
    })
  }

  private async drain(table: TableName, lane: Lane): Promise<void> {
    lane.running = true
    try {
      while (lane.queue.length > 0) {
        const group = this.take(lane)
        await this.write(table, group)
      }
    } finally {
      lane.running = false
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
    const rows = unique.length === 1 ? unique[0]!.rows : joined(unique.map((p) => p.rows))
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
