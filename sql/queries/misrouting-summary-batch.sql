-- misrouting-summary.sql for many experiments in one pass (src/services/evaluate-batch.ts), the recent counts since {since:DateTime64(3)}.
-- Experiment i has the assignment parameters of expected-assignment.sql at index i of each array
-- ({experiments}, {layer_salts}, {variant_salts}, {alloc_starts}, {alloc_sizes}, {exposures},
-- {variants} and {thresholds}, these two arrays of arrays); an experiment without logged units has no row.
WITH
specs AS
(
    SELECT s.1 AS experiment_id, s.2 AS layer_salt, s.3 AS variant_salt, s.4 AS alloc_start, s.5 AS alloc_size, s.6 AS exposure, s.7 AS variants, s.8 AS thresholds
    FROM (SELECT arrayJoin(arrayZip({experiments:Array(String)}, {layer_salts:Array(String)}, {variant_salts:Array(String)}, {alloc_starts:Array(Int64)}, {alloc_sizes:Array(Int64)}, {exposures:Array(Float64)}, {variants:Array(Array(String))}, {thresholds:Array(Array(Float64))})) AS s)
),
logged AS
(
    SELECT experiment_id, unit_id, variant, max(last_ts) AS last_ts FROM unit_metrics WHERE experiment_id IN {experiments:Array(String)} GROUP BY experiment_id, unit_id, variant
),
expected AS
(
    SELECT
        experiment_id,
        unit_id,
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
            u.unit_id AS unit_id,
            s.alloc_size AS alloc_size,
            s.exposure AS exposure,
            s.variants AS variants,
            s.thresholds AS thresholds,
            murmurHash3_32(concat(s.layer_salt, ':', u.unit_id)) % 10000 AS layer_bucket,
            murmurHash3_32(concat(s.variant_salt, ':', u.unit_id)) % 10000 AS variant_bucket,
            toInt64(layer_bucket) - s.alloc_start AS offset
        FROM (SELECT DISTINCT experiment_id, unit_id FROM logged) AS u
        INNER JOIN specs AS s ON u.experiment_id = s.experiment_id
    )
)
SELECT
    l.experiment_id AS experiment_id,
    toUInt64(uniqExact(l.unit_id)) AS units,
    toUInt64(uniqExactIf(l.unit_id, l.variant != e.expected_variant)) AS misrouted,
    toUInt64(uniqExactIf(l.unit_id, l.last_ts >= {since:DateTime64(3)})) AS recent_units,
    toUInt64(uniqExactIf(l.unit_id, l.last_ts >= {since:DateTime64(3)} AND l.variant != e.expected_variant)) AS recent_misrouted
FROM logged AS l
INNER JOIN expected AS e ON e.experiment_id = l.experiment_id AND e.unit_id = l.unit_id
GROUP BY l.experiment_id
