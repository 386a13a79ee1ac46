/**
 * What the ClickHouse-compatible endpoint lets a caller name besides functions
 * (sql-allow-functions.ts): tables, system tables, formats and settings. Every list here is an
 * allow-list: a name that is not on it is refused, so a function, format or
 * table added by a new engine version or a new migration stays out until it is
 * added here on purpose. Pure data and predicates.
 */

/**
 * Runway's tables an analyst may read, each with the column that ties its rows
 * to a namespace: `namespace` itself, or an experiment id resolved through
 * `experiments`. `api_tokens`, the migration log and any table a later
 * migration adds stay unreadable until listed here.
 */
export const RUNWAY_TABLES: Readonly<Record<string, 'namespace' | 'experiment_id'>> = {
  events: 'experiment_id',
  unit_metrics: 'experiment_id',
  dead_letters: 'experiment_id',
  experiments: 'namespace',
  lifecycle: 'experiment_id',
  verdicts: 'experiment_id',
  ledger_heads: 'experiment_id',
  ingest_masking: 'experiment_id',
}

/** The database Runway's tables live in. */
export const RUNWAY_DATABASE = 'default'

/** The analyst schema (migrations 0020, 0021; docs/analytics.md): versioned read-only views over Runway's tables. */
export const ANALYTICS_DATABASE = 'analytics'

/**
 * The analyst views, each with the column that ties its rows to a namespace (as
 * RUNWAY_TABLES). They read Runway's tables by qualified name, so those tables'
 * row filters already apply inside them; the views get filters of their own as
 * well, so a view added later cannot widen what a namespace-limited token sees.
 */
export const ANALYTICS_VIEWS: Readonly<Record<string, 'namespace' | 'experiment_id'>> = {
  v1_experiments: 'namespace',
  v1_exposures: 'experiment_id',
  v1_unit_metrics: 'experiment_id',
  v1_verdicts: 'experiment_id',
  v1_results: 'experiment_id',
  v1_ledger: 'experiment_id',
  // 0021: one row per experiment of each pair, so the key is that experiment (the view itself
  // keeps a pair only when both experiments are readable).
  v1_interference: 'experiment_id',
  v1_events: 'experiment_id',
}

/**
 * System tables clients and analysts need to find their way (schema browsers,
 * clickhouse-connect's settings probe, number generators). Not `processes`,
 * `query_log`, `disks`, `users`, `grants`, `dictionaries`, `macros`, `clusters`….
 */
const SYSTEM_TABLES: ReadonlySet<string> = new Set([
  'one',
  'numbers',
  'numbers_mt',
  'zeros',
  'zeros_mt',
  'databases',
  'tables',
  'columns',
  'functions',
  'table_functions',
  'settings',
  'formats',
  'data_type_families',
  'table_engines',
  'time_zones',
  'collations',
  'keywords',
  'aggregate_function_combinators',
  'build_options',
  'errors',
])

/** information_schema is views over system.tables/columns/databases: names only. */
const INFORMATION_SCHEMA_TABLES: ReadonlySet<string> = new Set(['tables', 'columns', 'schemata', 'views', 'key_column_usage', 'referential_constraints', 'statistics'])

/** Databases a query may name (and `database=` / USE may pick). */
export const DATABASES: ReadonlySet<string> = new Set([RUNWAY_DATABASE, ANALYTICS_DATABASE, 'system', 'information_schema', 'INFORMATION_SCHEMA'])

export type TableClass = { kind: 'runway'; table: string } | { kind: 'metadata' } | { kind: 'refused' }

/** What a table reference is, given the database it resolves in. */
export function classifyTable(database: string, table: string): TableClass {
  if (database === RUNWAY_DATABASE && Object.hasOwn(RUNWAY_TABLES, table)) return { kind: 'runway', table }
  if (database === ANALYTICS_DATABASE && Object.hasOwn(ANALYTICS_VIEWS, table)) return { kind: 'runway', table: `${ANALYTICS_DATABASE}.${table}` }
  if (database === 'system' && SYSTEM_TABLES.has(table)) return { kind: 'metadata' }
  if ((database === 'information_schema' || database === 'INFORMATION_SCHEMA') && INFORMATION_SCHEMA_TABLES.has(table.toLowerCase())) return { kind: 'metadata' }
  return { kind: 'refused' }
}

/**
 * Formats that neither read a schema file (Protobuf, CapnProto), nor take their
 * layout from a file named by a setting (Template, CustomSeparated…), nor run
 * regular expressions from settings. Compared case-insensitively, as the engine does.
 */
const FORMATS: readonly string[] = [
  'TabSeparated', 'TabSeparatedRaw', 'TabSeparatedWithNames', 'TabSeparatedWithNamesAndTypes', 'TabSeparatedRawWithNames', 'TabSeparatedRawWithNamesAndTypes',
  'TSV', 'TSVRaw', 'TSVWithNames', 'TSVWithNamesAndTypes', 'TSVRawWithNames', 'TSVRawWithNamesAndTypes', 'Raw', 'RawWithNames', 'RawWithNamesAndTypes',
  'CSV', 'CSVWithNames', 'CSVWithNamesAndTypes',
  'JSON', 'JSONStrings', 'JSONCompact', 'JSONCompactStrings', 'JSONColumns', 'JSONColumnsWithMetadata', 'JSONCompactColumns', 'JSONObjectEachRow',
  'JSONEachRow', 'JSONLines', 'NDJSON', 'JSONStringsEachRow', 'JSONEachRowWithProgress', 'JSONStringsEachRowWithProgress',
  'JSONCompactEachRow', 'JSONCompactEachRowWithNames', 'JSONCompactEachRowWithNamesAndTypes', 'JSONCompactStringsEachRow',
  'JSONCompactStringsEachRowWithNames', 'JSONCompactStringsEachRowWithNamesAndTypes',
  'Native', 'RowBinary', 'RowBinaryWithNames', 'RowBinaryWithNamesAndTypes', 'RowBinaryWithDefaults',
  'Parquet', 'Arrow', 'ArrowStream', 'ORC', 'Avro',
  'Values', 'Vertical', 'Markdown', 'MD', 'XML', 'Null', 'Pretty', 'PrettyCompact', 'PrettyCompactMonoBlock', 'PrettySpace', 'PrettyNoEscapes',
  'PrettyCompactNoEscapes', 'PrettySpaceNoEscapes', 'PrettyMonoBlock', 'PrettySpaceMonoBlock', 'PrettyNoEscapesMonoBlock', 'LineAsString', 'RawBLOB', 'TSKV', 'SQLInsert',
]
const FORMAT_SET: ReadonlySet<string> = new Set(FORMATS.map((f) => f.toLowerCase()))

export function formatAllowed(name: string): boolean {
  return FORMAT_SET.has(name.toLowerCase())
}

/**
 * Settings a client may send (URL parameters): how results are written and
 * read, time zones, join semantics. Nothing that names a file
 * (format_template_*, format_schema, output_format_schema), a limit (those are
 * the operator's), the gate (readonly) or the dialect.
 */
const CLIENT_SETTINGS: ReadonlySet<string> = new Set([
  'session_timezone',
  'date_time_output_format',
  'date_time_input_format',
  'output_format_json_quote_64bit_integers',
  'output_format_json_quote_64bit_floats',
  'output_format_json_quote_denormals',
  'output_format_json_quote_decimals',
  'output_format_json_named_tuples_as_objects',
  'output_format_json_array_of_rows',
  'output_format_json_validate_utf8',
  'output_format_json_escape_forward_slashes',
  'output_format_json_pretty_print',
  'output_format_write_statistics',
  'output_format_decimal_trailing_zeros',
  'output_format_csv_crlf_end_of_line',
  'output_format_tsv_crlf_end_of_line',
  'format_csv_delimiter',
  'format_csv_allow_single_quotes',
  'format_csv_allow_double_quotes',
  'output_format_pretty_max_rows',
  'output_format_pretty_color',
  'output_format_pretty_grid_charset',
  'output_format_native_encode_types_in_binary_format',
  'output_format_native_write_json_as_string',
  'output_format_arrow_string_as_string',
  'output_format_arrow_low_cardinality_as_dictionary',
  'output_format_parquet_string_as_string',
  'input_format_skip_unknown_fields',
  'input_format_null_as_default',
  'input_format_import_nested_json',
  'cast_string_to_dynamic_use_inference',
  'join_use_nulls',
  'aggregate_functions_null_for_empty',
  'transform_null_in',
  'union_default_mode',
  'extremes',
])

/** Setting values are short words, numbers or zone names: never paths with `..`, never quotes. */
const SETTING_VALUE = /^[A-Za-z0-9_.:+/ -]{0,64}$/

export function clientSettingAllowed(name: string, value: string): boolean {
  return CLIENT_SETTINGS.has(name) && SETTING_VALUE.test(value) && !value.includes('..')
}
