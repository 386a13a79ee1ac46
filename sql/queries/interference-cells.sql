-- The 2x2 (r x c) cells of one metric over the units two experiments share: per variant of A
-- x variant of B, unit-level sufficient statistics of the metric as measured in experiment A.
-- A unit seen in two variants of one experiment (misrouted) is left out: it has no one cell.
-- Parameters: {a:String}, {b:String}, {metric:String}, {aggregation:String} ('mean' | 'sum').
SELECT
    va                 AS variant_a,
    vb                 AS variant_b,
    toUInt64(count())  AS n,
    sum(x)             AS sum,
    sum(x * x)         AS sum_squares
FROM
(
    SELECT
        unit_id,
        any(variant) AS va,
        if({aggregation:String} = 'sum', sum(total), sum(total) / sum(events)) AS x
    FROM unit_metrics
    WHERE experiment_id = {a:String} AND metric = {metric:String}
    GROUP BY unit_id
    HAVING uniqExact(variant) = 1
) AS ma
INNER JOIN
(
    SELECT unit_id, any(variant) AS vb
    FROM unit_metrics
    WHERE experiment_id = {b:String}
    GROUP BY unit_id
    HAVING uniqExact(variant) = 1
) AS mb USING (unit_id)
GROUP BY variant_a, variant_b
ORDER BY variant_a, variant_b
