-- Unit-level sufficient statistics per variant for one metric.
-- Parameters: {experiment:String}, {metric:String}, {aggregation:String} ('mean' | 'sum').
-- A unit's value is the mean (or sum) of its events; n counts units.
SELECT
    variant,
    toUInt64(count()) AS n,
    sum(x)            AS sum,
    sum(x * x)        AS sum_squares
FROM
(
    SELECT
        variant,
        unit_id,
        if({aggregation:String} = 'sum', sum(total), sum(total) / sum(events)) AS x
    FROM unit_metrics
    WHERE experiment_id = {experiment:String} AND metric = {metric:String}
    GROUP BY variant, unit_id
)
GROUP BY variant
ORDER BY variant
