-- variant-units.sql for many experiments in one pass (src/services/evaluate-batch.ts).
-- Parameters: {experiments:Array(String)}.
SELECT
    experiment_id,
    variant,
    toUInt64(uniqExact(unit_id))                   AS units,
    toUnixTimestamp64Milli(max(last_ts))           AS last_event_ms,
    toUInt64(sum(events))                          AS events
FROM unit_metrics
WHERE experiment_id IN {experiments:Array(String)}
GROUP BY experiment_id, variant
ORDER BY experiment_id, variant
