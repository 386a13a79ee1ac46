-- engine-settings: optimize_aggregation_in_order = 1
-- variant-units.sql for many experiments in one pass (src/services/evaluate-batch.ts).
-- Read from events, not unit_metrics: the per-(experiment, variant) distinct count needs no per-unit
-- rows first, so the engine does one aggregation instead of the view's GROUP BY unit and then this one.
-- Parameters: {experiments:Array(String)}.
SELECT
    experiment_id,
    variant,
    toUInt64(uniqExact(unit_id))                   AS units,
    toUnixTimestamp64Milli(max(ts))                AS last_event_ms,
    toUInt64(count())                              AS events
FROM events
WHERE experiment_id IN {experiments:Array(String)}
GROUP BY experiment_id, variant
ORDER BY experiment_id, variant
