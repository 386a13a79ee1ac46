-- Units whose logged variant differs from the one the gate's hash assigns them
-- (see expected-assignment.sql for the computation), including units logged under an
-- experiment that should not have exposed them (expected_variant = '').
-- Parameters: {experiment:String}, {limit:UInt64} and those of expected-assignment.sql without {units}.
SELECT
    l.unit_id AS unit_id,
    l.variant AS logged_variant,
    e.expected_variant AS expected_variant,
    e.layer_bucket AS layer_bucket,
    e.variant_bucket AS variant_bucket
FROM (SELECT DISTINCT unit_id, variant FROM unit_metrics WHERE experiment_id = {experiment:String}) AS l
INNER JOIN
(
    SELECT
        unit_id,
        layer_bucket,
        variant_bucket,
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
            murmurHash3_32(concat({layer_salt:String}, ':', unit_id)) % 10000 AS layer_bucket,
            murmurHash3_32(concat({variant_salt:String}, ':', unit_id)) % 10000 AS variant_bucket,
            toInt64(layer_bucket) - {alloc_start:Int64} AS offset
        FROM (SELECT DISTINCT unit_id FROM unit_metrics WHERE experiment_id = {experiment:String})
    )
) AS e ON e.unit_id = l.unit_id
WHERE l.variant != e.expected_variant
ORDER BY unit_id, logged_variant
LIMIT {limit:UInt64}
