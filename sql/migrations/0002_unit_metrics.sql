-- Per-unit, per-metric running aggregates: what every test reads. Maintained
-- by the view on each insert into events; partial rows merge by their functions.
CREATE TABLE IF NOT EXISTS unit_metrics
(
    experiment_id LowCardinality(String),
    metric        LowCardinality(String),
    variant       LowCardinality(String),
    unit_id       String,
    events        SimpleAggregateFunction(sum, UInt64),
    total         SimpleAggregateFunction(sum, Float64),
    first_ts      SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_ts       SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (experiment_id, metric, variant, unit_id)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS unit_metrics_mv TO unit_metrics AS
SELECT
    experiment_id,
    metric,
    variant,
    unit_id,
    toUInt64(count()) AS events,
    sum(value)        AS total,
    min(ts)           AS first_ts,
    max(ts)           AS last_ts
FROM events
GROUP BY experiment_id, metric, variant, unit_id;
