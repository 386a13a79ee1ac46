-- engine-settings: optimize_aggregation_in_order = 1
-- The recent-window counts of misrouting-summary-batch.sql alone, over the events with ts >= {since:DateTime64(3)}
-- (the incremental cycle, src/services/evaluate-incremental.ts, holds the cumulative counts and reads only
-- these in full: a unit leaves the window as time passes without any new event, so no received_at
-- increment can tell when). Same rule as there: a unit is recently misrouted when its events since
-- {since} carry more than one variant, or one that is not the gate's. An experiment without recent units has no row.
-- Parameters: those of misrouting-summary-batch.sql.
WITH
logged AS
(
    SELECT
        experiment_id,
        unit_id,
        toString(min(variant)) AS first_variant,
        toString(max(variant)) AS last_variant
    FROM events
    WHERE experiment_id IN {experiments:Array(String)} AND ts >= {since:DateTime64(3)}
    GROUP BY experiment_id, unit_id
),
gated AS
(
    SELECT
        toString(experiment_id) AS experiment_id,
        first_variant, last_variant,
        -- include: misrouting-gate-columns
    FROM logged
)
SELECT
    experiment_id,
    toUInt64(count()) AS recent_units,
    toUInt64(countIf(first_variant != last_variant OR exposed = 0
        OR variant_bucket < transform(concat(prefix, first_variant), {variant_keys:Array(String)}, {variant_lo:Array(Int64)}, toInt64(1))
        OR variant_bucket >= transform(concat(prefix, first_variant), {variant_keys:Array(String)}, {variant_hi:Array(Int64)}, toInt64(0)))) AS recent_misrouted
FROM gated
GROUP BY experiment_id
