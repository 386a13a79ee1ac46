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
    -- One row per (experiment, unit) without a GROUP BY on (experiment_id, unit_id): each experiment's
    -- (unit, variant) pairs are sorted and cut where the unit changes, so a run's first pair holds the
    -- unit's min variant and its last the max (strings compare bytewise in both). The per-unit GROUP BY
    -- was 3.5 of this query's 4.0-4.2 CPU-s at 10M events; 2.1-2.3 now, same rows (bench/README.md,
    -- 2026-12-03 third pass). An explicit PREWHERE on ts changed nothing (the engine moves it there).
    SELECT experiment_id, r.1 AS unit_id, r.2 AS first_variant, r.3 AS last_variant
    FROM
    (
        SELECT experiment_id, arraySort(groupArray((unit_id, toString(variant)))) AS pairs, arrayMap(p -> p.1, pairs) AS units
        FROM events
        WHERE experiment_id IN {experiments:Array(String)} AND ts >= {since:DateTime64(3)}
        GROUP BY experiment_id
    )
    ARRAY JOIN arrayMap(run -> (run[1].1, run[1].2, run[-1].2), arraySplit((p, u, previous) -> u != previous, pairs, units, arrayPopBack(arrayPushFront(units, '')))) AS r
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
