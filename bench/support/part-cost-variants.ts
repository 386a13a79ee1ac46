/**
 * The tables bench/support/part-cost.ts times: the events table built up one component at a time
 * (each a table of its own), and the real `events` / `events_in` chain as the migrations leave it.
 */
export interface Variant {
  name: string
  /** Table the rows go into. */
  table: string
  /** Row shape: events_in lines, events rows, or events rows without the Map column. */
  shape: 'in' | 'events' | 'bare'
  /** Send a fresh insert_deduplication_token (and deduplicate_blocks_in_dependent_materialized_views = 1), as ingest does. */
  token: boolean
  settings?: Record<string, string | number>
  /** Sent as one SQL text with the rows in it, instead of chDB's raw insert; gets the settings clause and the rows. */
  sql?: (settingsClause: string, rows: string) => string
  ddl: string[]
}

/**
 * The events_in → events mapping of migrations 0023/0026, done by the insert itself instead of a dependent view:
 * the rows as a heredoc literal read by the format() table function (input() takes its rows from the client's
 * data stream, which chDB's query call does not have: inline rows after FORMAT were silently ignored, 0 rows).
 */
const INPUT_COLS = "r Int64, eventId String, ts Int64, experimentId String, variant String, unitId String, service String, metric String, value Float64, outcome Bool, attributes Map(String, String), g String"
const viaFormat = (settings: string, rows: string) => `INSERT INTO events (event_id, ts, experiment_id, variant, unit_id, service, metric, value, attributes, received_at, batch_token)
SELECT eventId, fromUnixTimestamp64Milli(ts, 'UTC'), experimentId, variant, unitId, if(service = '', 'unknown', service), metric, value + outcome, attributes,
  fromUnixTimestamp64Milli(r, 'UTC'), g FROM format(JSONEachRow, '${INPUT_COLS}', $rows$${rows}$rows$) ${settings}`

const COLS = `event_id String, ts DateTime64(3, 'UTC'), experiment_id LowCardinality(String), variant LowCardinality(String),
  unit_id String, service LowCardinality(String), metric LowCardinality(String), value Float64, received_at DateTime64(3, 'UTC')`
const MAP = `, attributes Map(String, String), batch_token String DEFAULT ''`
const ORDER = 'ORDER BY (experiment_id, metric, variant, unit_id, ts)'
const UNIT_AGG = `PROJECTION unit_agg (SELECT experiment_id, metric, variant, unit_id, count(), sum(value), min(ts), max(ts)
  GROUP BY experiment_id, metric, variant, unit_id)`
const SLI = `PROJECTION sli_minute (SELECT experiment_id, metric, variant, toStartOfMinute(ts), count(), sum(value), sum(value * value),
  quantilesTDigest(0.5, 0.9, 0.95, 0.99)(value), max(received_at) GROUP BY experiment_id, metric, variant, toStartOfMinute(ts))`
const SLI_NO_DIGEST = `PROJECTION sli_minute (SELECT experiment_id, metric, variant, toStartOfMinute(ts), count(), sum(value), sum(value * value),
  max(received_at) GROUP BY experiment_id, metric, variant, toStartOfMinute(ts))`
const DEDUP = 'SETTINGS non_replicated_deduplication_window = 10000'

const table = (name: string, cols: string, extra: string, settings = '') =>
  `CREATE TABLE ${name} (${cols}${extra}) ENGINE = MergeTree ${name.startsWith('pc_bare') ? '' : 'PARTITION BY toYYYYMM(ts)'} ${ORDER} ${settings}`

export const PART_COST_VARIANTS: Variant[] = [
  { name: 'null (parse + call only)', table: 'pc_null', shape: 'events', token: false, ddl: [`CREATE TABLE pc_null (${COLS}${MAP}) ENGINE = Null`] },
  { name: 'bare MergeTree', table: 'pc_bare', shape: 'bare', token: false, ddl: [table('pc_bare', COLS, '')] },
  { name: '+ PARTITION BY', table: 'pc_part', shape: 'bare', token: false, ddl: [table('pc_part', COLS, '')] },
  { name: '+ Map + batch_token', table: 'pc_map', shape: 'events', token: false, ddl: [table('pc_map', COLS, MAP)] },
  { name: '+ dedup window + token', table: 'pc_dedup', shape: 'events', token: true, ddl: [table('pc_dedup', COLS, MAP, DEDUP)] },
  { name: '+ dedup + unit_agg', table: 'pc_ua', shape: 'events', token: true, ddl: [table('pc_ua', COLS, `${MAP}, ${UNIT_AGG}`, DEDUP)] },
  { name: '+ dedup + sli_minute', table: 'pc_sli', shape: 'events', token: true, ddl: [table('pc_sli', COLS, `${MAP}, ${SLI}`, DEDUP)] },
  { name: '+ dedup + sli_minute w/o t-digest', table: 'pc_slind', shape: 'events', token: true, ddl: [table('pc_slind', COLS, `${MAP}, ${SLI_NO_DIGEST}`, DEDUP)] },
  { name: '+ dedup + both projections', table: 'pc_both', shape: 'events', token: true, ddl: [table('pc_both', COLS, `${MAP}, ${UNIT_AGG}, ${SLI}`, DEDUP)] },
  // Per-table settings that might shrink a part's fixed cost (none changes a query's result).
  { name: 'both + auto_statistics_types = \'\'', table: 'pc_nostat', shape: 'events', token: true, ddl: [table('pc_nostat', COLS, `${MAP}, ${UNIT_AGG}, ${SLI}`, `${DEDUP}, auto_statistics_types = ''`)] },
  { name: 'both + compress_marks/primary_key = 0', table: 'pc_nocmp', shape: 'events', token: true, ddl: [table('pc_nocmp', COLS, `${MAP}, ${UNIT_AGG}, ${SLI}`, `${DEDUP}, compress_marks = 0, compress_primary_key = 0`)] },
  { name: 'both + substream marks off', table: 'pc_nosub', shape: 'events', token: true, ddl: [table('pc_nosub', COLS, `${MAP}, ${UNIT_AGG}, ${SLI}`, `${DEDUP}, write_marks_for_substreams_in_compact_parts = 0`)] },
  { name: 'both + no sparse serialization', table: 'pc_nosparse', shape: 'events', token: true, ddl: [table('pc_nosparse', COLS, `${MAP}, ${UNIT_AGG}, ${SLI}`, `${DEDUP}, ratio_of_defaults_for_sparse_serialization = 1`)] },
  { name: 'both + packed part storage', table: 'pc_packed', shape: 'events', token: true, ddl: [table('pc_packed', COLS, `${MAP}, ${UNIT_AGG}, ${SLI}`, `${DEDUP}, min_bytes_for_full_part_storage = 104857600`)] },
  { name: 'both + the four above', table: 'pc_all4', shape: 'events', token: true, ddl: [table('pc_all4', COLS, `${MAP}, ${UNIT_AGG}, ${SLI}`, `${DEDUP}, auto_statistics_types = '', compress_marks = 0, compress_primary_key = 0, write_marks_for_substreams_in_compact_parts = 0, ratio_of_defaults_for_sparse_serialization = 1`)] },
  { name: 'events (migrated) direct', table: 'events', shape: 'events', token: true, ddl: [] },
  { name: 'events_in → MV → events (ingest)', table: 'events_in', shape: 'in', token: true, ddl: [] },
  // The same two paths as one SQL text each (chDB's query call, not its raw insert), to compare the view with format().
  { name: 'events_in as SQL text', table: 'events_in', shape: 'in', token: true, sql: (st, rows) => `INSERT INTO events_in ${st} FORMAT JSONEachRow\n${rows}`, ddl: [] },
  { name: 'format() → events as SQL text (no view)', table: 'events', shape: 'in', token: true, sql: viaFormat, ddl: [] },
  { name: 'events_in without token', table: 'events_in', shape: 'in', token: false, ddl: [] },
  { name: 'events_in parallel parsing off', table: 'events_in', shape: 'in', token: true, settings: { input_format_parallel_parsing: 0 }, ddl: [] },
]
