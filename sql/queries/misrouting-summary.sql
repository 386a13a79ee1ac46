-- How many logged units of an experiment are misrouted (logged under a variant other
-- than the one the gate's hash assigns, see expected-assignment.sql): the evaluation's
-- misrouting evidence, since the start and over the recent window at once. A unit logged
-- under two variants counts once. The recent counts take the units with an event at or
-- after {since}: the cumulative share dilutes a fault that starts late in a long run, the
-- window sees it at full strength.
-- Parameters: {experiment:String}, {since:DateTime64(3)} and those of expected-assignment.sql without {units}.
SELECT
    toUInt64(uniqExact(l.unit_id)) AS units,
    toUInt64(uniqExactIf(l.unit_id, l.variant != e.expected_variant)) AS misrouted,
    toUInt64(uniqExactIf(l.unit_id, l.last_ts >= {since:DateTime64(3)})) AS recent_units,
    toUInt64(uniqExactIf(l.unit_id, l.last_ts >= {since:DateTime64(3)} AND l.variant != e.expected_variant)) AS recent_misrouted
FROM
(
    SELECT unit_id, variant, max(last_ts) AS last_ts
    FROM unit_metrics
    WHERE experiment_id = {experiment:String}
    GROUP BY unit_id, variant
) AS l
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
