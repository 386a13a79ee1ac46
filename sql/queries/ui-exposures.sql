-- Units newly exposed per variant per time bucket (a unit counts in the bucket of its
-- first event under that variant), for the exposure-over-time chart. Parameters:
-- {experiment:String}, {bucket_ms:Int64}.
-- Reads events grouped by (variant, unit_id) with min(ts): a subset of the unit_agg
-- projection's keys (0010), so the engine answers from the projection's per-unit rows.
-- The unit_metrics view it replaces groups by metric as well and was grouped again here
-- (4.4 s on 30 days, 107k units, loaded machine); the answer is the same (min over a
-- unit's metrics of each metric's first event = the unit's first event), checked in
-- test/integration/ui-exposure-queries.test.ts against that query.
SELECT
    intDiv(toUnixTimestamp64Milli(first_seen), {bucket_ms:Int64}) * {bucket_ms:Int64} AS t_ms,
    variant,
    toUInt64(count()) AS units
FROM
(
    SELECT variant, unit_id, min(ts) AS first_seen
    FROM events
    WHERE experiment_id = {experiment:String}
    GROUP BY variant, unit_id
)
GROUP BY t_ms, variant
ORDER BY t_ms, variant
