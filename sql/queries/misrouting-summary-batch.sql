-- engine-settings: optimize_aggregation_in_order = 1
-- misrouting-summary.sql for many experiments in one pass (src/services/evaluate-batch.ts), the recent counts since {since:DateTime64(3)}.
-- Experiment i has the assignment parameters of expected-assignment.sql at index i of {experiments},
-- {layer_salts}, {variant_salts}, {alloc_starts}, {alloc_sizes} and {exposures}; the gate's variant
-- for a variant bucket is given as ranges: ({variant_keys}[j], {variant_lo}[j], {variant_hi}[j]) says
-- that the variant of key j ("<bytes of id>:<experiment id>:<variant>") gets buckets [lo, hi) (the
-- thresholds rule of expected-assignment.sql, computed per bucket in evaluate-batch.ts). An experiment
-- without logged units has no row.
-- One aggregation per (experiment, unit) over the events, in storage order (experiment_id leads the
-- sort key, so memory stays one experiment's units), and no join: a unit is misrouted when it was
-- logged under more than one variant (min != max), or under one that is not the gate's (not exposed,
-- not a variant of the experiment, or its bucket outside that variant's range); recent likewise over
-- its events since {since}. Parameters are looked up with transform (a hash map), not joined.
WITH
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
gated AS
(
    SELECT
        toString(experiment_id) AS experiment_id,
        first_variant, last_variant, recent_events, recent_first_variant, recent_last_variant,
        -- include: misrouting-gate-columns
    FROM logged
),
checked AS
(
    SELECT
        experiment_id,
        recent_events,
        first_variant != last_variant OR exposed = 0
            OR variant_bucket < transform(concat(prefix, first_variant), {variant_keys:Array(String)}, {variant_lo:Array(Int64)}, toInt64(1))
            OR variant_bucket >= transform(concat(prefix, first_variant), {variant_keys:Array(String)}, {variant_hi:Array(Int64)}, toInt64(0)) AS misrouted,
        recent_first_variant != recent_last_variant OR exposed = 0
            OR variant_bucket < transform(concat(prefix, recent_first_variant), {variant_keys:Array(String)}, {variant_lo:Array(Int64)}, toInt64(1))
            OR variant_bucket >= transform(concat(prefix, recent_first_variant), {variant_keys:Array(String)}, {variant_hi:Array(Int64)}, toInt64(0)) AS recent_misrouted
    FROM gated
)
SELECT
    experiment_id,
    toUInt64(count()) AS units,
    toUInt64(countIf(misrouted)) AS misrouted,
    toUInt64(countIf(recent_events > 0)) AS recent_units,
    toUInt64(countIf(recent_events > 0 AND recent_misrouted)) AS recent_misrouted
FROM checked
GROUP BY experiment_id
