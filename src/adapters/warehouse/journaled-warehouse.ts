import { mkdir, open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { DependencyError } from '../../errors.js'
import type { QueryParams, TableName, Warehouse } from '../../ports/warehouse.js'
import { checkDedupToken } from './clickhouse-warehouse.js'
import { type RecoveryKey, rowsMissing } from './journal-recovery.js'

export interface JournalOptions {
  /** Directory of the journal's segment files (beside the warehouse's own data). */
  dir: string
  /** Tables whose inserts go through the journal; every other insert goes straight to the engine. */
  tables: ReadonlyArray<TableName>
  /** Group-commit window: how long journaled rows may wait before they are written to the warehouse. */
  flushDelayMs: number
  /** Told of each failed flush; the rows stay in the journal and the flush is retried with backoff. */
  onFlushError?: (error: DependencyError, pendingEntries: number) => void
  /** Told of anything odd that loses nothing: a file in the journal that is not a segment, a written segment that could not be removed. */
  onWarning?: (message: string) => void
  /** Per table, how a segment that may have been cut short is written by key (journal-recovery.ts); other tables rely on tokens. */
  recovery?: Partial<Record<TableName, RecoveryKey>>
}

interface Entry {
  table: TableName
  token: string | null
  rows: Record<string, unknown>[]
}

interface Segment {
  /** Unique across restarts and ordered by creation: it names the segment's batch tokens. */
  name: string
  path: string
  entries: Entry[]
  /** Its insert may have been cut short (found on disk at start, or a failed attempt): written by key, not by token. */
  suspect?: boolean
}

interface Waiting {
  entry: Entry
  line: string
  done: (error?: Error) => void
}

interface Active {
  segment: Segment
  file: Promise<FileHandle>
  queue: Waiting[]
  writing: Promise<void> | null
  /** Bytes written and fdatasync'ed: the acknowledged part of the file. */
  synced: number
}

const SEGMENT = /^\d{15}-\d+-\d+\.ndjson$/
const RECENT_TOKENS = 10_000

/**
 * A write-ahead journal in front of the embedded warehouse, for the tables on
 * the control plane's hot path (the ledger). A chDB insert writes a new part
 * (several files) and costs 3–15 ms on this kind of disk; an append to a local
 * file with fdatasync costs a fraction of a millisecond. So an insert into a
 * journaled table returns once its line is durable in the journal, and rows are
 * written to the warehouse in one insert per table per group-commit window.
 *
 * - Durable: acknowledged rows survive a crash; `open()` replays the segments
 *   left behind, before anything reads.
 * - Exactly once: each segment is inserted with tokens named after it; one that
 *   may have been cut short (left on disk by a crash, or after a failed attempt)
 *   is written by key instead (journal-recovery.ts says why). A retried insert
 *   with the same dedup token is journaled once.
 * - Read-your-writes: every select and command flushes first, so callers never
 *   see the warehouse behind the journal.
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

  private constructor(
    private readonly inner: Warehouse,
    private readonly opts: JournalOptions,
  ) {
    this.tables = new Set(opts.tables)
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
      for (const e of entries) if (e.token) w.remember(`${e.table}\u0000${e.token}`)
    }
    return w
  }

  /** Rows acknowledged but not yet in the warehouse. */
  get pendingEntries(): number {
    return this.sealed.reduce((n, s) => n + s.entries.length, 0) + (this.active ? this.active.segment.entries.length + this.active.queue.length : 0)
  }

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
    const key = options.dedupToken === undefined ? null : `${table}\u0000${options.dedupToken}`
    if (key !== null && this.recent.has(key)) return // a retry: stored once, as the engine would
    if (key !== null) this.remember(key)
    // What is flushed is exactly what was journaled (and no later change by the caller).
    const line = `${JSON.stringify({ table, token: options.dedupToken ?? null, rows })}\n`
    try {
      await this.append(JSON.parse(line) as Entry, line)
    } catch (error) {
      if (key !== null) this.recent.delete(key)
      throw error
    }
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
        // Written: a copy left behind is found on the next start and written by key, so nothing is stored twice.
        await unlink(segment.path).catch((e: unknown) => this.opts.onWarning?.(`written segment ${segment.path} could not be removed: ${e instanceof Error ? e.message : String(e)}`))
      }
      this.failures = 0
    } catch (cause) {
      this.failures++
      if (this.sealed[0]) this.sealed[0].suspect = true
      const message = cause instanceof Error ? cause.message : String(cause)
      const error = new DependencyError(`${this.pendingEntries} journaled insert(s) are not in the warehouse yet (kept in ${this.opts.dir}): ${message}`, cause)
      this.opts.onFlushError?.(error, this.pendingEntries)
      this.later(Math.min(30_000, 100 * 2 ** this.failures))
      throw error
    }
  }

  /** One insert per table, in the order the segment first wrote to each, named after the segment. */
  private async insertSegment(segment: Segment): Promise<void> {
    const byTable = new Map<TableName, Record<string, unknown>[]>()
    for (const e of segment.entries) {
      const rows = byTable.get(e.table) ?? []
      rows.push(...e.rows)
      byTable.set(e.table, rows)
    }
    for (const [table, rows] of byTable) {
      const recovery = segment.suspect ? this.opts.recovery?.[table] : undefined
      if (!recovery) {
        await this.inner.insert(table, rows, { dedupToken: `journal/${segment.name}/${table}` })
        continue
      }
      // By key, under a token of this attempt only: the segment's own token may be recorded without its rows.
      const missing = await rowsMissing(this.inner, recovery, rows)
      if (missing.length > 0) await this.inner.insert(table, missing, { dedupToken: `journal/${segment.name}/${table}/r${Date.now()}` })
    }
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

/** The complete lines of a segment; a torn last line (a crash mid-write, never acknowledged) is dropped. */
export function parseSegment(text: string): Entry[] {
  const lines = text.split('\n')
  lines.pop() // '' after the last newline, or a torn line
  const entries: Entry[] = []
  for (const line of lines) {
    try {
      const e = JSON.parse(line) as Entry
      if (typeof e.table === 'string' && Array.isArray(e.rows)) entries.push(e)
    } catch {
      // A write cut short by a crash; it was never acknowledged (refused writes are truncated away).
    }
  }
  return entries
}
