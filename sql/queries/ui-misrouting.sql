-- Logged units of an experiment and how many are misrouted (logged under a variant other
-- than the one the gate's hash assigns; formula: expected-assignment.sql), for the
-- experiment view's tile. The same two numbers as misrouting-summary.sql with {since} at
-- the epoch (what the evaluation uses; equality checked in
-- test/integration/ui-exposure-queries.test.ts), in one pass: each (unit, variant) row of
-- the unit_agg projection gets its expected variant directly, instead of a DISTINCT over
-- unit_metrics joined back to it (about 1 s of the 30-day exposures route).
-- Parameters: {experiment:String} and those of expected-assignment.sql without {units}.
SELECT
    toUInt64(uniqExact(unit_id)) AS units,
    toUInt64(uniqExactIf(unit_id, variant != expected_variant)) AS misrouted
FROM
(
    SELECT
        unit_id,
        variant,
        toUInt8(offset >= 0 AND offset < {alloc_size:Int64} AND offset < {alloc_size:Int64} * {exposure:Float64} / 100) AS exposed,
        if(exposed = 1,
           {variants:Array(String)}[if(arrayFirstIndex(t -> variant_bucket < t, {thresholds:Array(Float64)}) = 0,
                                       length({variants:Array(String)}),
                                       arrayFirstIndex(t -> variant_bucket < t, {thresholds:Array(Float64)}))],
           '') AS expected_variant
    FROM
    (
        SELECT
            unit_id,
            variant,
            murmurHash3_32(concat({layer_salt:String}, ':', unit_id)) % 10000 AS layer_bucket,
            murmurHash3_32(concat({variant_salt:String}, ':', unit_id)) % 10000 AS variant_bucket,
            toInt64(layer_bucket) - {alloc_start:Int64} AS offset
        FROM (SELECT unit_id, variant FROM events WHERE experiment_id = {experiment:String} GROUP BY unit_id, variant)
    )
)
