import { mkdir, open, readdir, readFile, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { DependencyError } from '../../errors.js'
import type { QueryParams, TableName, Warehouse } from '../../ports/warehouse.js'
import { withBatchToken } from './batch-token.js'
import { checkDedupToken } from './clickhouse-warehouse.js'
import { type Active, type Entry, type JournalOptions, type Segment, combined, entryText, linesOf, missingOf, once, parseSegment, rowCount, textEntry } from './journal-recovery.js'
import { rowText } from './row-text.js'

export { type JournalOptions, parseSegment } from './journal-recovery.js'

const SEGMENT = /^\d{15}-\d+-\d+\.ndjson$/
/** As many as the coalescer remembers: the events journal keeps one per ingested batch. */
const RECENT_TOKENS = 100_000

/**
 * A write-ahead journal in front of the embedded warehouse: the ledger's tables
 * (ledger-journal) and, opt-in, ingest's events (events-journal.ts). A chDB insert
 * writes a new part (3–15 ms, 30–50 ms for events with their projections); an
 * append to a local file with fdatasync costs a fraction of a millisecond. So an
 * insert returns once its line is durable in the journal (concurrent inserts share
 * one write), and rows go to the warehouse in one insert per table per flush.
 * - Durable: `open()` takes over the segments a killed process left.
 * - Exactly once: a segment is inserted under tokens named after it; one that may
 *   have been cut short (left by a crash, or a failed attempt) is written by key
 *   (journal-recovery.ts says why). A retry with the same token is journaled once.
 * - Read-your-writes: every select and command flushes first.
 */
export class JournaledWarehouse implements Warehouse {
  private readonly tables: Set<TableName>
  private active: Active | null = null
  private readonly sealed: Segment[] = []
  private flushing: Promise<void> | null = null
  private timer: NodeJS.Timeout | null = null
  private failures = 0
  private counter = 0
  private readonly recent = new Set<string>()
  private readonly closedSegments = new WeakSet<Active>()
  private readonly alone: Set<TableName>
  /** Inserts being journaled, by table and token: a retry meanwhile is answered with the first one. */
  private readonly inFlight = new Map<string, Promise<void>>()
  private readonly restoring = new Map<TableName, Promise<void>>()
  /** Rows reserved by inserts being journaled and rows journaled but not in the warehouse yet. */
  private pendingRows = 0

  private constructor(
    private readonly inner: Warehouse,
    private readonly opts: JournalOptions,
  ) {
    this.tables = new Set(opts.tables)
    this.alone = new Set(opts.alone)
  }

  /** Opens the journal and takes over the segments a previous process left (written on the next flush or read). */
  static async open(inner: Warehouse, opts: JournalOptions): Promise<JournaledWarehouse> {
    const w = new JournaledWarehouse(inner, opts)
    await mkdir(opts.dir, { recursive: true })
    const names = await readdir(opts.dir)
    for (const name of names.filter((n) => !SEGMENT.test(n))) opts.onWarning?.(`${join(opts.dir, name)} is not a journal segment; left alone`)
    for (const name of names.filter((n) => SEGMENT.test(n)).sort()) {
      const path = join(opts.dir, name)
      const entries = parseSegment(await readFile(path, 'utf8'))
      if (entries.length === 0) await unlink(path)
      else w.sealed.push({ name: name.replace(/\.ndjson$/, ''), path, entries, suspect: true })
      w.pendingRows += rowCount(entries)
      for (const e of entries) if (e.token) w.remember(`${e.table}\u0000${e.token}`)
    }
    return w
  }

  /** Rows acknowledged but not yet in the warehouse. */
  get pendingEntries(): number {
    return this.sealed.reduce((n, s) => n + s.entries.length, 0) + (this.active ? this.active.segment.entries.length + this.active.queue.length : 0)
  }

  /** The warehouse it writes into (another journal, or the engine). */
  get innerWarehouse(): Warehouse {
    return this.inner
  }

  journals = (table: TableName): boolean => this.tables.has(table)

  async command(sql: string): Promise<void> {
    await this.flush()
    return this.inner.command(sql)
  }

  async select<T>(sql: string, params?: QueryParams): Promise<T[]> {
    await this.flush()
    return this.inner.select<T>(sql, params)
  }

  async insert(table: TableName, rows: ReadonlyArray<Record<string, unknown>>, options: { dedupToken?: string } = {}): Promise<void> {
    if (!this.tables.has(table)) return this.inner.insert(table, rows, options)
    if (options.dedupToken !== undefined) checkDedupToken(options.dedupToken)
    if (rows.length === 0) return
    await this.restore(table)
    const max = this.opts.maxPendingRows
    while (max !== undefined && this.pendingRows > 0 && this.pendingRows + rows.length > max) await this.flush()
    const token = options.dedupToken ?? null
    const key = token === null ? null : `${table}\u0000${token}`
    if (key !== null) {
      const first = this.inFlight.get(key)
      if (first) return first // a retry while the first is being written: answered as the first is
      if (this.recent.has(key)) return // a retry: stored once, as the engine would
    }
    const at = token === null ? undefined : this.opts.durable?.[table]?.at
    const marked = at === undefined ? rows : withBatchToken(rows, token!, at)
    const text = rowText(marked)
    const line = entryText({ table, token, rows: marked, ...(text ? { text } : {}) })
    // What is flushed is exactly what was journaled: plain rows are read back from their line; text is a string.
    const entry: Entry = text ? { table, token, rows: marked as Record<string, unknown>[], text } : (JSON.parse(line) as Entry)
    this.pendingRows += rows.length
    const write = this.append(entry, line).then(() => void (key !== null && this.remember(key)), (error: unknown) => {
      this.pendingRows -= rows.length
      throw error
    })
    if (key !== null) {
      this.inFlight.set(key, write)
      void write.catch(() => {}).finally(() => this.inFlight.delete(key))
    }
    await write
    this.later(this.opts.flushDelayMs)
  }

  /** Writes every acknowledged row to the warehouse now (one insert per table per segment). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => {})
    if (this.pendingEntries === 0 && !this.active?.writing) return
    this.flushing = this.flushOnce().finally(() => {
      this.flushing = null
    })
    return this.flushing
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    // What cannot be written now stays in the journal for the next start.
    await this.flush().catch(() => {})
    await this.seal()
    if (this.timer) clearTimeout(this.timer)
    await this.inner.close()
  }

  private async flushOnce(): Promise<void> {
    await this.seal()
    try {
      while (this.sealed.length > 0) {
        const segment = this.sealed[0]!
        await this.insertSegment(segment)
        this.sealed.shift()
        this.pendingRows -= rowCount(segment.entries)
        // Written: a copy left behind is found on the next start and written by key, so nothing is stored twice.
        await unlink(segment.path).catch((e: unknown) => this.opts.onWarning?.(`written segment ${segment.path} could not be removed: ${e instanceof Error ? e.message : String(e)}`))
      }
      this.failures = 0
    } catch (cause) {
      this.failures++
      const first = this.sealed[0]
      if (first && !first.suspect) {
        first.suspect = true
        // Recovery reads text entries as their lines (the input table's shape), as after a restart.
        first.entries = first.entries.map((e) => (e.text ? textEntry(e.table, e.token, e.text.into, linesOf(e.text.ndjson)) : e))
      }
      const message = cause instanceof Error ? cause.message : String(cause)
      const error = new DependencyError(`${this.pendingEntries} journaled insert(s) are not in the warehouse yet (kept in ${this.opts.dir}): ${message}`, cause)
      this.opts.onFlushError?.(error, this.pendingEntries)
      this.later(Math.min(30_000, 100 * 2 ** this.failures))
      throw error
    }
  }

  /** One insert per table (per entry for `alone` tables), in the order the segment first wrote to each, named after the segment. */
  private async insertSegment(segment: Segment): Promise<void> {
    const byTable = new Map<TableName, Entry[]>()
    for (const e of segment.entries) {
      const entries = byTable.get(e.table) ?? []
      entries.push(e)
      byTable.set(e.table, entries)
    }
    for (const [table, entries] of byTable) {
      const recovery = segment.suspect ? this.opts.recovery?.[table] : undefined
      const groups = this.alone.has(table) ? entries.map((e) => ({ entries: [e], token: e.token })) : [{ entries, token: `journal/${segment.name}/${table}` }]
      for (const [i, group] of groups.entries()) {
        const rows = combined(group.entries)
        if (!recovery) {
          await this.inner.insert(table, rows, group.token === null ? {} : { dedupToken: group.token })
          continue
        }
        // By key, under a token of this attempt only: the segment's own token may be recorded without its rows.
        const missing = await missingOf(this.inner, recovery, rows)
        if (missing.length > 0) await this.inner.insert(table, missing, { dedupToken: `journal/${segment.name}/${table}/${i}/r${Date.now()}` })
      }
    }
  }

  /** Once per table and process, before its first insert: the tokens stored with its rows (a failed read is tried again by the next insert). */
  private restore(table: TableName): Promise<void> {
    const durable = this.opts.durable?.[table]
    if (durable === undefined) return Promise.resolve()
    return once(this.restoring, table, async () => {
      for (const t of await durable.recent()) this.remember(`${table}\u0000${t}`)
    })
  }

  /** Queues the entry on the active segment; resolves once it is written and fdatasync'ed. */
  private append(entry: Entry, line: string): Promise<void> {
    const active = (this.active ??= this.newSegment())
    return new Promise<void>((resolve, reject) => {
      active.queue.push({ entry, line, done: (error) => (error ? reject(error) : resolve()) })
      active.writing ??= this.drain(active)
    })
  }

  /** Group commit: everything queued meanwhile goes out in one write and one fdatasync. */
  private async drain(active: Active): Promise<void> {
    // Awaited before taking the queue: appends issued together (one ledger entry's rows) share a write.
    const file = await active.file.catch((cause: unknown) => cause as Error)
    while (active.queue.length > 0) {
      const batch = active.queue.splice(0)
      try {
        if (file instanceof Error) throw file
        const text = batch.map((w) => w.line).join('')
        await file.write(text)
        await file.datasync()
        active.synced += Buffer.byteLength(text)
        for (const w of batch) active.segment.entries.push(w.entry)
        for (const w of batch) w.done()
      } catch (cause) {
        const message = cause instanceof Error ? cause.message : String(cause)
        // Refused lines must never come back on a replay: cut the file back to what was acknowledged.
        const cut = file instanceof Error ? true : await file.truncate(active.synced).then(() => file.datasync()).then(() => true, () => false)
        for (const w of [...batch, ...active.queue.splice(0)]) w.done(new DependencyError(`journal write to ${active.segment.path} failed: ${message}`, cause))
        // Later appends go to a new segment. If the cut failed too, write this one out now, so a
        // crash has the shortest window in which a replay could bring the refused lines back.
        if (this.active === active) this.active = null
        void this.sealOne(active).then(() => cut || this.later(0))
      }
    }
    active.writing = null
  }

  private newSegment(): Active {
    const name = `${String(Date.now()).padStart(15, '0')}-${process.pid}-${this.counter++}`
    const path = join(this.opts.dir, `${name}.ndjson`)
    const file = open(path, 'a')
    file.catch(() => {}) // reported by the append that awaits it
    return { segment: { name, path, entries: [] }, file, queue: [], writing: null, synced: 0 }
  }

  /** Closes the active segment (after its in-flight writes) so a flush can take it; new appends start another. */
  private async seal(): Promise<void> {
    const active = this.active
    if (!active) return
    this.active = null
    while (active.writing) await active.writing
    await this.sealOne(active)
  }

  private async sealOne(active: Active): Promise<void> {
    if (this.closedSegments.has(active)) return
    this.closedSegments.add(active)
    await (await active.file.catch(() => null))?.close().catch(() => {})
    if (active.segment.entries.length > 0) this.sealed.push(active.segment)
    else await unlink(active.segment.path).catch(() => {})
  }

  /** A flush in `ms`, unless one is due already. Failures are reported through onFlushError and retried. */
  private later(ms: number): void {
    if (this.timer) return
    this.timer = setTimeout(() => {
      this.timer = null
      this.flush().catch(() => {})
    }, ms)
    // The rows are durable in the journal: a pending flush need not keep the process alive.
    this.timer.unref()
  }

  private remember(key: string): void {
    this.recent.add(key)
    if (this.recent.size > RECENT_TOKENS) this.recent.delete(this.recent.values().next().value!)
  }
}
