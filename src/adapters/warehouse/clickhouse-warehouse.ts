import { Readable } from 'node:stream'
import { ensureWritableDir } from '../data-dir.js'
import { createClient, type ClickHouseClient } from '@clickhouse/client'
import { createChdbConnection } from 'chdb/connection'
import { DependencyError, InputError } from '../../errors.js'
import type { QueryParams, TableName, Warehouse } from '../../ports/warehouse.js'
import { type RowText, rowText } from './row-text.js'

/** Dedup tokens go into a SETTINGS clause: allow only plain characters. */
const TOKEN = /^[A-Za-z0-9_.:/-]{1,200}$/

/** Refuses a deduplication token that could not go into a SETTINGS clause as it is. */
export function checkDedupToken(token: string): void {
  if (!TOKEN.test(token)) throw new InputError(`invalid deduplication token ${JSON.stringify(token)}`)
}

/**
 * Warehouse on the official ClickHouse client. The same class serves a
 * ClickHouse server (HTTP) and the embedded engine (chDB's connection for the
 * client), so both run the same code path and the same SQL files.
 */
/** Inserts rows already written as JSONEachRow text (the engine parses them; no row objects in between). */
export type TextInsert = (table: TableName | RowText['into'], ndjson: string, settings: Record<string, string | number>) => Promise<void>

export class ClickHouseWarehouse implements Warehouse {
  /** `textInsert`: the engine's own insert of text (chDB's native raw insert); unset: the client's insert with the text as its body. */
  constructor(
    private readonly client: ClickHouseClient,
    private readonly textInsert?: TextInsert,
  ) {}

  async command(sql: string): Promise<void> {
    await this.wrap(() => this.client.command({ query: sql }), 'command')
  }

  async select<T>(sql: string, params: QueryParams = {}): Promise<T[]> {
    return this.wrap(async () => {
      // Engine hints a SQL file names in `-- engine-settings:` lines (e.g. aggregation in storage order, which
      // bounds memory): applied on the embedded engine only, as the query's own SETTINGS clause (chDB would keep
      // client settings for the session's later queries). They are not in the file's text, since runway's
      // ClickHouse endpoint refuses SETTINGS inside a query, and a server answers the same rows without them.
      const hints = this.textInsert ? engineSettingsOf(sql) : undefined
      const query = hints ? `${sql.trimEnd()}\nSETTINGS ${Object.entries(hints).map(([k, v]) => `${k} = ${v}`).join(', ')}` : sql
      const rs = await this.client.query({ query, query_params: params, format: 'JSONEachRow' })
      return (await rs.json()) as T[]
    }, 'query')
  }

  async insert(table: TableName, rows: ReadonlyArray<Record<string, unknown>>, options: { dedupToken?: string } = {}): Promise<void> {
    if (rows.length === 0) return
    // Rows whose text their writer already has (ingest's accepted events, as lines for events_in) are not
    // serialized again. The engine's native insert only: the view does the rest inside the same insert.
    const written = rowText(rows)
    if (written !== undefined && this.textInsert && table === 'events') return this.insertText(written.into, written.ndjson, options)
    // One string for the block: the client would encode row by row into a stream that
    // chDB's connection joins into one string again (about half of an insert's cost).
    let ndjson = ''
    for (const row of rows) ndjson += `${JSON.stringify(row)}\n`
    return this.insertText(table, ndjson, options)
  }

  /**
   * Inserts JSONEachRow text as one block, with the same deduplication as `insert`.
   * Callers pass only text they wrote themselves from validated rows.
   */
  async insertText(table: TableName | RowText['into'], ndjson: string, options: { dedupToken?: string } = {}): Promise<void> {
    if (ndjson.length === 0) return
    if (options.dedupToken !== undefined) checkDedupToken(options.dedupToken)
    // Both settings are needed so a retried block is skipped by the views too. The token is
    // always sent, '' meaning none: chDB keeps a session's settings from one query to the
    // next, so a token-less insert would reuse the previous token and be dropped as a retry.
    const settings = { insert_deduplication_token: options.dedupToken ?? '', deduplicate_blocks_in_dependent_materialized_views: 1 }
    const { textInsert } = this
    await this.wrap(
      () =>
        textInsert
          ? textInsert(table, ndjson, settings)
          : this.client.insert({ table, values: ndjson.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>), format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: settings.insert_deduplication_token, deduplicate_blocks_in_dependent_materialized_views: 1 } }).then(() => undefined),
      `insert into ${table}`,
    )
  }

  async close(): Promise<void> {
    await this.client.close()
  }

  private async wrap<T>(fn: () => Promise<T>, what: string): Promise<T> {
    try {
      return await fn()
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      throw new DependencyError(`warehouse ${what} failed: ${message}`, error)
    }
  }
}

/** The settings of a SQL text's `-- engine-settings: name = value, …` lines (plain names and numbers only), or undefined. */
export function engineSettingsOf(sql: string): Record<string, number> | undefined {
  let out: Record<string, number> | undefined
  for (const m of sql.matchAll(/^-- engine-settings:(.*)$/gm)) {
    for (const pair of m[1]!.split(',')) {
      const kv = /^\s*([a-z_]+)\s*=\s*(\d+)\s*$/.exec(pair)
      if (!kv) throw new Error(`bad engine-settings line in SQL: ${m[0]}`)
      ;(out ??= {})[kv[1]!] = Number(kv[2])
    }
  }
  return out
}

/** The embedded default: ClickHouse in-process, data under `path`. */
export function embeddedWarehouse(path: string): ClickHouseWarehouse {
  ensureWritableDir(path)
  // chDB builds against its own copy of the client's types; the runtime contract is the same.
  const chdb = createChdbConnection({ path })
  const connection = chdb as unknown as NonNullable<Parameters<typeof createClient>[0]>['connection']
  // The native raw insert: the text is handed to the engine as it is, and its own parser reads it.
  const textInsert: TextInsert = async (table, values, settings) => {
    await chdb.chdb.rawInsert({ table, values, format: 'JSONEachRow', settings })
  }
  return new ClickHouseWarehouse(createClient({ connection }), textInsert)
}

/**
 * A ClickHouse server over HTTP, e.g. http://user:pass@host:8123. A path
 * (http://host:8080/clickhouse) reaches a server behind a prefix, such as the
 * ClickHouse-compatible endpoint of another runway.
 */
export function serverWarehouse(url: string): ClickHouseWarehouse {
  const u = new URL(url)
  const pathname = u.pathname !== '/' && u.pathname !== '' ? u.pathname : undefined
  u.pathname = '/'
  return new ClickHouseWarehouse(createClient({ url: u.toString(), ...(pathname ? { pathname } : {}) }))
}
