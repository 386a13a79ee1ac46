-- variant-units-batch.sql as an increment (src/services/evaluate-incremental.ts): per unit of the cycle's
-- touched table ({touched:Identifier}, eval-touched-fill.sql) whether it had events of
-- the variant received <= {from_ms} ("old") and <= {to_ms} ("new"), and how many: the caller adds
-- new − old to units and events. last_event_ms is the newest ts among the touched units' events received
-- <= {to_ms}: a max only grows as events arrive, so the caller keeps the larger of it and what it holds.
-- Parameters: {touched:Identifier}, {experiments:Array(String)}, {from_ms:Int64}, {to_ms:Int64}.
SELECT
    experiment_id, variant,
    toUInt64(countIf(unit_old > 0)) AS units_old,  toUInt64(countIf(unit_new > 0)) AS units_new,
    toUInt64(sum(unit_old)) AS events_old,         toUInt64(sum(unit_new)) AS events_new,
    maxIf(last_ms, unit_new > 0) AS last_event_ms_max
FROM
(
    SELECT experiment_id, variant, unit_id,
           countIf(received_at <= fromUnixTimestamp64Milli({from_ms:Int64})) AS unit_old,
           countIf(received_at <= fromUnixTimestamp64Milli({to_ms:Int64})) AS unit_new,
           toUnixTimestamp64Milli(maxIf(ts, received_at <= fromUnixTimestamp64Milli({to_ms:Int64}))) AS last_ms
    FROM {touched:Identifier}
    WHERE experiment_id IN {experiments:Array(String)}
    GROUP BY experiment_id, variant, unit_id
)
GROUP BY experiment_id, variant
ORDER BY experiment_id, variant
