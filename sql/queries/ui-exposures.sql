-- Units newly exposed per variant per time bucket (a unit counts in the bucket of its
-- first event), for the exposure-over-time chart. Parameters: {experiment:String},
-- {bucket_ms:Int64}.
SELECT
    intDiv(toUnixTimestamp64Milli(first_seen), {bucket_ms:Int64}) * {bucket_ms:Int64} AS t_ms,
    variant,
    toUInt64(count()) AS units
FROM
(
    SELECT variant, unit_id, min(first_ts) AS first_seen
    FROM unit_metrics
    WHERE experiment_id = {experiment:String}
    GROUP BY variant, unit_id
)
GROUP BY t_ms, variant
ORDER BY t_ms, variant
