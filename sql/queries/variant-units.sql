-- Distinct units seen per variant across all metrics (the SRM check's counts),
-- and the newest event time (telemetry freshness).
-- Parameters: {experiment:String}.
SELECT
    variant,
    toUInt64(uniqExact(unit_id))                   AS units,
    toUnixTimestamp64Milli(max(last_ts))           AS last_event_ms,
    toUInt64(sum(events))                          AS events
FROM unit_metrics
WHERE experiment_id = {experiment:String}
GROUP BY variant
ORDER BY variant
