-- variant-units-batch.sql as of a watermark: the base the incremental reader holds
-- (src/services/evaluate-incremental.ts), over the events received <= {to_ms}; columns named as an
-- increment's (<field>_new, last_event_ms_max). Parameters: {experiments:Array(String)}, {to_ms:Int64}.
SELECT
    experiment_id,
    variant,
    toUInt64(uniqExact(unit_id))                   AS units_new,
    toUInt64(count())                              AS events_new,
    toUnixTimestamp64Milli(max(ts))                AS last_event_ms_max
FROM events
WHERE experiment_id IN {experiments:Array(String)}
  AND received_at <= fromUnixTimestamp64Milli({to_ms:Int64})
GROUP BY experiment_id, variant
ORDER BY experiment_id, variant
-- engine-settings: optimize_aggregation_in_order = 1
