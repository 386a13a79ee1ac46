import type { QueryParams, TableName, Warehouse } from '../../ports/warehouse.js'
import type { FileHandle } from 'node:fs/promises'
import type { DependencyError } from '../../errors.js'
import type { TokenColumn } from './batch-token.js'
import { type RowText, rowText, withRowText } from './row-text.js'

/**
 * How a journaled table tells which rows of a segment are already stored.
 *
 * Why not the engine's deduplication alone: a MergeTree insert records its block
 * id in the deduplication log and then commits the part; a process killed in
 * between leaves the id recorded and the part gone, and a retry with the same
 * token is then dropped as a duplicate (the engine does drop a retry whose token
 * it has recorded, rows or not: test/integration/journaled-warehouse.test.ts).
 * In one CI run of test/e2e/ledger-crash.test.ts a kill -9 during a flush lost
 * 17 acknowledged enqueues that way while token-only replay was the rule. So a
 * segment whose insert may have been cut short (found on disk at start, or after
 * a failed attempt) is written by key instead.
 */
export interface RecoveryKey {
  /** A SELECT with one parameter, {ids:String} (a JSON array of ids), returning a `key` column for each stored row. */
  query: string
  /** What the query looks rows up by. */
  idOf: (row: Record<string, unknown>) => string
  /** A row's unique key, as the query renders it. */
  keyOf: (row: Record<string, unknown>) => string
  /** The query's parameters, where it takes more than {ids} (events: by experiment, event id and time). */
  params?: RecoveryParams
}

/** The rows not stored yet, looked up by key (one query per table and segment). */
export async function rowsMissing(engine: Pick<Warehouse, 'select'>, recovery: RecoveryKey, rows: ReadonlyArray<Record<string, unknown>>): Promise<Record<string, unknown>[]> {
  if (rows.length === 0) return []
  const params = recovery.params ? recovery.params(rows) : { ids: JSON.stringify([...new Set(rows.map(recovery.idOf))]) }
  const stored = await engine.select<{ key: string }>(recovery.query, params)
  const present = new Set(stored.map((r) => r.key))
  return rows.filter((r) => !present.has(recovery.keyOf(r)))
}

/** What a query-based key needs besides the ids (e.g. a time range); default `{ids}` alone. */
export type RecoveryParams = (rows: ReadonlyArray<Record<string, unknown>>) => QueryParams

/** One journaled insert: plain rows, or rows whose insert text was written already (row-text.ts), journaled as that text. */
export interface Entry {
  table: TableName
  token: string | null
  rows: Record<string, unknown>[]
  /** The rows' JSONEachRow text for `into`, one line per row: what is written to the journal and inserted. */
  text?: RowText
}

/**
 * An entry as segment text. Plain rows: one JSON line. Rows with their text: a header line
 * naming how many lines follow, then the text as it is (no second serialization, no escaping).
 */
export function entryText(e: { table: TableName; token: string | null; rows: ReadonlyArray<unknown>; text?: RowText }): string {
  if (e.text === undefined) return `${JSON.stringify({ table: e.table, token: e.token, rows: e.rows })}\n`
  return `${JSON.stringify({ table: e.table, token: e.token, into: e.text.into, lines: e.rows.length })}\n${e.text.ndjson}`
}

/** The complete entries of a segment; a torn last entry (a crash mid-write, never acknowledged) is dropped. */
export function parseSegment(text: string): Entry[] {
  const lines = text.split('\n')
  lines.pop() // '' after the last newline, or a torn line
  const entries: Entry[] = []
  for (let i = 0; i < lines.length; i++) {
    let e: (Entry & { into?: RowText['into']; lines?: number }) | null = null
    try {
      e = JSON.parse(lines[i]!) as Entry & { into?: RowText['into']; lines?: number }
    } catch {
      continue // a write cut short by a crash; it was never acknowledged (refused writes are truncated away)
    }
    if (typeof e?.table !== 'string') continue
    if (typeof e.lines === 'number' && e.into !== undefined) {
      const body = lines.slice(i + 1, i + 1 + e.lines)
      i += e.lines
      if (body.length < e.lines) break // torn: never acknowledged
      entries.push(textEntry(e.table, e.token ?? null, e.into, body))
    } else if (Array.isArray(e.rows)) entries.push({ table: e.table, token: e.token ?? null, rows: e.rows })
  }
  return entries
}

/** A text entry read back: its rows are the lines parsed (the input table's shape), for recovery by key. */
export function textEntry(table: TableName, token: string | null, into: RowText['into'], lines: string[]): Entry {
  const rows = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
  return { table, token, rows, text: { into, ndjson: lines.map((l) => `${l}\n`).join('') } }
}

/** How a JournaledWarehouse is set up (journaled-warehouse.ts). */
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
  /**
   * Per table, where each insert's own token is written with its rows (its first row, as the group-commit
   * coalescer does) and how the stored ones are read back before the table's first insert: a retry of an
   * insert written before a restart is then known, although the warehouse got it under a segment's token.
   */
  durable?: Partial<Record<TableName, { at: TokenColumn; recent: () => Promise<ReadonlyArray<string>> }>>
  /** Tables whose entries are inserted one by one under their own tokens (rarely written; the engine then knows a retry after a restart). */
  alone?: ReadonlyArray<TableName>
  /** Most rows acknowledged and not in the warehouse yet; an insert that would pass it waits for a flush first (backpressure). */
  maxPendingRows?: number
}

export const rowCount = (entries: ReadonlyArray<Entry>) => entries.reduce((n, e) => n + e.rows.length, 0)

/** The lines of a text (each ends with '\n'). */
export const linesOf = (ndjson: string) => ndjson.split('\n').slice(0, -1)

/** The entries' rows as one block, with their text joined when every entry has text for the same table. */
export function combined(entries: ReadonlyArray<Entry>): Record<string, unknown>[] {
  const rows = entries.length === 1 ? entries[0]!.rows : entries.flatMap((e) => e.rows)
  const into = entries[0]!.text?.into
  if (into === undefined || !entries.every((e) => e.text?.into === into)) return rows
  return withRowText(rows, { into, ndjson: entries.length === 1 ? entries[0]!.text!.ndjson : entries.map((e) => e.text!.ndjson).join('') })
}

/** The rows not stored yet; rows with text keep the lines of the rows kept (a text entry's rows are its lines, parsed). */
export async function missingOf(engine: Warehouse, recovery: RecoveryKey, rows: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
  const missing = await rowsMissing(engine, recovery, rows)
  if (missing.length === rows.length) return rows
  const text = rowText(rows)
  if (text === undefined) return missing
  const keep = new Set(missing)
  const lines = linesOf(text.ndjson)
  return withRowText(missing, { into: text.into, ndjson: rows.map((r, i) => (keep.has(r) ? `${lines[i]}\n` : '')).join('') })
}

/** `run`'s promise, started once per key; a failure is forgotten, so the next call tries again. */
export function once<K>(started: Map<K, Promise<void>>, key: K, run: () => Promise<void>): Promise<void> {
  let p = started.get(key)
  if (p === undefined) {
    p = run().catch((error: unknown) => {
      started.delete(key)
      throw error
    })
    started.set(key, p)
  }
  return p
}

/** A journal file and its entries (journaled-warehouse.ts). */
export interface Segment {
  /** Unique across restarts and ordered by creation: it names the segment's batch tokens. */
  name: string
  path: string
  entries: Entry[]
  /** Its insert may have been cut short (found on disk at start, or a failed attempt): written by key, not by token. */
  suspect?: boolean
}

export interface Waiting {
  entry: Entry
  line: string
  done: (error?: Error) => void
}

export interface Active {
  segment: Segment
  file: Promise<FileHandle>
  queue: Waiting[]
  writing: Promise<void> | null
  /** Bytes written and fdatasync'ed: the acknowledged part of the file. */
  synced: number
}
