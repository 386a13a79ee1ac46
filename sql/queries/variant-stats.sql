-- Unit-level sufficient statistics per variant for one event metric.
-- Parameters: {experiment:String}, {metric:String} (the event metric), {aggregation:String}
-- ('mean' | 'sum'), {type:String} ('mean' | 'count' | 'proportion' | 'quantile').
-- A unit's value: mean → the mean (or sum) of its events; count → its number of events;
-- proportion → 1 when the sum of its values is > 0 (outcome events are 1/0), else 0;
-- quantile → the mean of its values (reporting only; quantile-stats.sql compares).
-- n counts units with at least one event of the metric.
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
        multiIf(
            {type:String} = 'count', toFloat64(sum(events)),
            {type:String} = 'proportion', toFloat64(sum(total) > 0),
            {type:String} = 'mean' AND {aggregation:String} = 'sum', sum(total),
            sum(total) / sum(events)) AS x
    FROM unit_metrics
    WHERE experiment_id = {experiment:String} AND metric = {metric:String}
    GROUP BY variant, unit_id
)
GROUP BY variant
ORDER BY variant
