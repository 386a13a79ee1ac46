/**
 * Benchmark: the per-unit aggregates as a projection inside each events part (migration
 * 0010) against the materialized view into a table of its own that it replaced: insert
 * cost (30 interleaved 5,000-row inserts into each) and the variant-stats read over both,
 * in one process on one temporary chDB data dir. `npx tsx bench/projection-vs-view.ts`
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { embeddedWarehouse } from '../src/adapters/warehouse/clickhouse-warehouse.js'

const N = 5000
const dir = mkdtempSync(join(tmpdir(), 'runway-bench-projection-'))
// Table names must be ones the Warehouse port knows: `events` feeds the view, `dead_letters` (here a
// copy of the events columns) carries the projection.
const w = embeddedWarehouse(dir)
const cols = `(event_id String, ts DateTime64(3,'UTC'), experiment_id LowCardinality(String), variant LowCardinality(String), unit_id String, service LowCardinality(String), metric LowCardinality(String), value Float64, attributes Map(String,String), received_at DateTime64(3,'UTC'))`
await w.command(`CREATE TABLE events ${cols} ENGINE = MergeTree ORDER BY (experiment_id, metric, variant, unit_id, ts)`)
await w.command(`CREATE TABLE agg (experiment_id LowCardinality(String), metric LowCardinality(String), variant LowCardinality(String), unit_id String, events SimpleAggregateFunction(sum, UInt64), total SimpleAggregateFunction(sum, Float64), first_ts SimpleAggregateFunction(min, DateTime64(3, 'UTC')), last_ts SimpleAggregateFunction(max, DateTime64(3, 'UTC'))) ENGINE = AggregatingMergeTree ORDER BY (experiment_id, metric, variant, unit_id)`)
await w.command(`CREATE MATERIALIZED VIEW mv TO agg AS SELECT experiment_id, metric, variant, unit_id, toUInt64(count()) AS events, sum(value) AS total, min(ts) AS first_ts, max(ts) AS last_ts FROM events GROUP BY experiment_id, metric, variant, unit_id`)
await w.command(`CREATE TABLE dead_letters ${cols} ENGINE = MergeTree ORDER BY (experiment_id, metric, variant, unit_id, ts)`)
await w.command(`ALTER TABLE dead_letters ADD PROJECTION p (SELECT experiment_id, metric, variant, unit_id, count(), sum(value), min(ts), max(ts) GROUP BY experiment_id, metric, variant, unit_id)`)
const rows = (k: number) => Array.from({ length: N }, (_, i) => ({ event_id: `e-${k}-${i}`, ts: '2026-01-01 00:00:00.000', experiment_id: 'bk', variant: i % 2 ? 'treatment' : 'control', unit_id: `u-${i % 10007}`, service: 'checkout', metric: 'conversion', value: (i % 7) / 7, attributes: { region: 'eu' }, received_at: '2026-01-01 00:00:00.000' }))
let tm = 0, tp = 0
for (let r = 0; r < 3; r++) { await w.insert('events', rows(-r)); await w.insert('dead_letters', rows(-r)) }
for (let r = 0; r < 30; r++) { const b = rows(r); let t = performance.now(); await w.insert('events', b); tm += performance.now() - t; t = performance.now(); await w.insert('dead_letters', b); tp += performance.now() - t }
console.log('insert 5k rows (ms): MV', (tm / 30).toFixed(1), 'projection', (tp / 30).toFixed(1))
// reads: variant stats through aggregate table vs through projection
const q = (src: string) => `SELECT variant, count() n, sum(x) s FROM (SELECT variant, unit_id, sum(total)/sum(events) x FROM ${src} WHERE experiment_id='bk' AND metric='conversion' GROUP BY variant, unit_id) GROUP BY variant`
const viewProj = `(SELECT experiment_id, metric, variant, unit_id, toUInt64(count()) AS events, sum(value) AS total FROM dead_letters GROUP BY experiment_id, metric, variant, unit_id)`
let rm = 0, rp = 0
for (let r = 0; r < 10; r++) { let t = performance.now(); await w.select(q('agg')); rm += performance.now() - t; t = performance.now(); await w.select(q(viewProj)); rp += performance.now() - t }
console.log('variant-stats read over 165k events (ms): MV table', (rm / 10).toFixed(1), 'projection view', (rp / 10).toFixed(1))
await w.close()
rmSync(dir, { recursive: true, force: true })
