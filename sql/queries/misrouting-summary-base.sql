-- The cumulative counts of misrouting-summary-batch.sql as of a watermark: the base the incremental
-- reader holds per (experiment, assignment) (src/services/evaluate-incremental.ts), over the events
-- received <= {to_ms}; columns named as an increment's (<field>_new). The recent window is
-- misrouting-recent-batch.sql's. Parameters: those of misrouting-summary-batch.sql except {since}, and {to_ms:Int64}.
WITH
logged AS
(
    SELECT
        experiment_id,
        unit_id,
        toString(min(variant))                          AS first_variant,
        toString(max(variant))                          AS last_variant
    FROM events
    WHERE experiment_id IN {experiments:Array(String)}
      AND received_at <= fromUnixTimestamp64Milli({to_ms:Int64})
    GROUP BY experiment_id, unit_id
),
gated AS
(
    SELECT
        toString(experiment_id) AS experiment_id,
        first_variant, last_variant,
        -- include: misrouting-gate-columns
    FROM logged
),
checked AS
(
    SELECT
        experiment_id,
        first_variant != last_variant OR exposed = 0
            OR variant_bucket < transform(concat(prefix, first_variant), {variant_keys:Array(String)}, {variant_lo:Array(Int64)}, toInt64(1))
            OR variant_bucket >= transform(concat(prefix, first_variant), {variant_keys:Array(String)}, {variant_hi:Array(Int64)}, toInt64(0)) AS misrouted
    FROM gated
)
SELECT
    experiment_id,
    toUInt64(count()) AS units_new,
    toUInt64(countIf(misrouted)) AS misrouted_new
FROM checked
GROUP BY experiment_id
ORDER BY experiment_id
-- engine-settings: optimize_aggregation_in_order = 1
