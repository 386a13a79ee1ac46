/**
 * What the writable endpoint adds to the read allow-lists. It exists so that
 * Runway's own processes can use another Runway's embedded warehouse as theirs
 * (CLICKHOUSE_URL=http://…/clickhouse with the operator's credentials): their
 * migrations, inserts and token lookups. So it allows schema changes on tables of
 * Runway's database and every table there, but keeps the confinement: the same
 * function, table-function, format and setting allow-lists apply to every
 * expression (column defaults, views, TTLs), table engines and table settings
 * come from lists here, and nothing can name a disk, a file, a URL or a database engine. Pure.
 */

/** Table engines that keep data in the warehouse's own directory. */
export const TABLE_ENGINES: ReadonlySet<string> = new Set([
  'MergeTree',
  'ReplacingMergeTree',
  'AggregatingMergeTree',
  'SummingMergeTree',
  'CollapsingMergeTree',
  'VersionedCollapsingMergeTree',
  'Memory',
  'Null',
])

/** Table-level settings (`CREATE TABLE … SETTINGS`): dedup windows and part layout; not `disk`, `storage_policy`. */
export const TABLE_SETTINGS: ReadonlySet<string> = new Set([
  'non_replicated_deduplication_window',
  'replicated_deduplication_window',
  'index_granularity',
  'index_granularity_bytes',
  'min_bytes_for_wide_part',
  'min_rows_for_wide_part',
  'ttl_only_drop_parts',
  'allow_nullable_key',
  'deduplicate_merge_projection_mode',
])

/** ALTER commands that change columns, rows, indexes or projections of a table in place. */
export const ALTER_COMMANDS: ReadonlySet<string> = new Set([
  'ADD_COLUMN',
  'DROP_COLUMN',
  'MODIFY_COLUMN',
  'COMMENT_COLUMN',
  'RENAME_COLUMN',
  'DELETE',
  'UPDATE',
  'ADD_INDEX',
  'DROP_INDEX',
  'MATERIALIZE_INDEX',
  'ADD_PROJECTION',
  'DROP_PROJECTION',
  'MATERIALIZE_PROJECTION',
  'MODIFY_TTL',
  'DROP_PARTITION',
  // A materialized view's SELECT replaced in place (migration 0026): its query is walked and checked
  // like CREATE MATERIALIZED VIEW's, and unlike drop + create no insert passes with no view.
  'MODIFY_QUERY',
])

/** AST nodes DDL adds to those of a query. */
export const WRITE_NODES: ReadonlySet<string> = new Set([
  'Columns',
  'ColumnDeclaration',
  'DataType',
  'NameTypePair',
  'Storage',
  'ViewTargets',
  'AlterCommand',
  'Partition',
  'Projection',
  'ProjectionDeclaration',
  'ProjectionSelectQuery',
  'IndexDeclaration',
  'TTLElement',
  'OrderByElement',
  'Identifier',
])

/** Settings a writer may send besides the read ones: insert deduplication and mutation waits. */
const WRITER_SETTINGS: ReadonlySet<string> = new Set([
  'insert_deduplication_token',
  'insert_deduplicate',
  'deduplicate_blocks_in_dependent_materialized_views',
  'async_insert',
  'wait_for_async_insert',
  'mutations_sync',
  'alter_sync',
  'input_format_skip_unknown_fields',
  'input_format_null_as_default',
  'date_time_input_format',
])

export function writerSettingAllowed(name: string, value: string): boolean {
  return WRITER_SETTINGS.has(name) && /^[A-Za-z0-9_.:/ -]{0,200}$/.test(value) && !value.includes('..')
}

/** DDL statements by their rendered opening words. */
const DDL_OPENINGS = /^(CREATE (OR REPLACE )?TABLE|CREATE (OR REPLACE )?(MATERIALIZED )?VIEW|DROP (TABLE|VIEW)|TRUNCATE( TABLE)?|ALTER TABLE|OPTIMIZE TABLE|RENAME TABLE|EXCHANGE TABLES) /

/**
 * The analyst schema's database (migration 0020), created with no ENGINE clause so
 * no database engine (MySQL, PostgreSQL, Filesystem…) can be named.
 */
export const CREATE_ANALYTICS_DATABASE = /^CREATE DATABASE (IF NOT EXISTS )?analytics$/

export function ddlAllowed(normalized: string): boolean {
  return DDL_OPENINGS.test(normalized) || CREATE_ANALYTICS_DATABASE.test(normalized)
}

/**
 * The names in a CREATE's trailing `SETTINGS a = 1, b = 2` (from the engine's
 * rendering, quoted text already blanked); null when a value is not a plain literal.
 */
export function createSettings(blanked: string): string[] | null {
  const at = blanked.lastIndexOf(' SETTINGS ')
  if (at < 0) return []
  const names: string[] = []
  for (const part of blanked.slice(at + ' SETTINGS '.length).split(', ')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*) = ([A-Za-z0-9_.+-]+|_)$/.exec(part.trim())
    if (!m) return null
    names.push(m[1]!)
  }
  return names
}
