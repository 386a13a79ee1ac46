-- misrouting-summary.sql for many experiments in one pass (src/services/evaluate-batch.ts), the recent counts since {since:DateTime64(3)}.
-- Experiment i has the assignment parameters of expected-assignment.sql at index i of each array
-- ({experiments}, {layer_salts}, {variant_salts}, {alloc_starts}, {alloc_sizes}, {exposures},
-- {variants} and {thresholds}, these two arrays of arrays); an experiment without logged units has no row.
-- One aggregation per (experiment, unit) over the events, no join back: a unit is misrouted when it
-- was logged under more than one variant (min != max) or under one that is not the gate's; recent
-- likewise over its events since {since}. The gate's variant is computed once per unit, joined to
-- the small specs list (the previous text joined every logged row to every unit's expected row).
WITH
specs AS
(
    SELECT s.1 AS experiment_id, s.2 AS layer_salt, s.3 AS variant_salt, s.4 AS alloc_start, s.5 AS alloc_size, s.6 AS exposure, s.7 AS variants, s.8 AS thresholds
    FROM (SELECT arrayJoin(arrayZip({experiments:Array(String)}, {layer_salts:Array(String)}, {variant_salts:Array(String)}, {alloc_starts:Array(Int64)}, {alloc_sizes:Array(Int64)}, {exposures:Array(Float64)}, {variants:Array(Array(String))}, {thresholds:Array(Array(Float64))})) AS s)
),
logged AS
(
    SELECT
        experiment_id,
        unit_id,
        toString(min(variant))                          AS first_variant,
        toString(max(variant))                          AS last_variant,
        countIf(ts >= {since:DateTime64(3)})            AS recent_events,
        toString(minIf(variant, ts >= {since:DateTime64(3)})) AS recent_first_variant,
        toString(maxIf(variant, ts >= {since:DateTime64(3)})) AS recent_last_variant
    FROM events
    WHERE experiment_id IN {experiments:Array(String)}
    GROUP BY experiment_id, unit_id
),
expected AS
(
    SELECT
        experiment_id,
        first_variant, last_variant, recent_events, recent_first_variant, recent_last_variant,
        toUInt8(offset >= 0 AND offset < alloc_size AND offset < alloc_size * exposure / 100) AS exposed,
        if(exposed = 1,
           variants[if(arrayFirstIndex(t -> variant_bucket < t, thresholds) = 0,
                       length(variants),
                       arrayFirstIndex(t -> variant_bucket < t, thresholds))],
           '') AS expected_variant
    FROM
    (
        SELECT
            u.experiment_id AS experiment_id,
            u.first_variant AS first_variant, u.last_variant AS last_variant, u.recent_events AS recent_events,
            u.recent_first_variant AS recent_first_variant, u.recent_last_variant AS recent_last_variant,
            s.alloc_size AS alloc_size,
            s.exposure AS exposure,
            s.variants AS variants,
            s.thresholds AS thresholds,
            murmurHash3_32(concat(s.layer_salt, ':', u.unit_id)) % 10000 AS layer_bucket,
            murmurHash3_32(concat(s.variant_salt, ':', u.unit_id)) % 10000 AS variant_bucket,
            toInt64(layer_bucket) - s.alloc_start AS offset
        FROM logged AS u
        INNER JOIN specs AS s ON u.experiment_id = s.experiment_id
    )
)
SELECT
    experiment_id,
    toUInt64(count()) AS units,
    toUInt64(countIf(first_variant != last_variant OR first_variant != expected_variant)) AS misrouted,
    toUInt64(countIf(recent_events > 0)) AS recent_units,
    toUInt64(countIf(recent_events > 0 AND (recent_first_variant != recent_last_variant OR recent_first_variant != expected_variant))) AS recent_misrouted
FROM expected
GROUP BY experiment_id
