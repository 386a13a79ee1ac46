-- CUPED sufficient statistics per variant (Deng, Xu, Kohavi & Walker 2013) for one metric.
-- Y: the unit's value of {metric:String} in the experiment, reduced as in variant-stats.sql
-- ({type:String}, {aggregation:String}). Exposure: the unit's first event in the experiment, or
-- its first event of {exposure:String} when not ''. X: the unit's value of {covariate:String},
-- reduced the same way, over events of ANY experiment with ts in
-- [exposure − {pre_period_ms:Int64} ms, exposure); 0 when the unit has none (as gbstats).
-- Returns n, ΣY, ΣY², ΣX, ΣX², ΣY·X and the units with at least one pre-period event.
WITH
exposure AS
(
    SELECT variant, unit_id, min(ts) AS exposed_at
    FROM events
    WHERE experiment_id = {experiment:String} AND ({exposure:String} = '' OR metric = {exposure:String})
    GROUP BY variant, unit_id
),
outcome AS
(
    SELECT
        variant,
        unit_id,
        multiIf(
            {type:String} = 'count', toFloat64(sum(events)),
            {type:String} = 'proportion', toFloat64(sum(total) > 0),
            {aggregation:String} = 'sum', sum(total),
            sum(total) / sum(events)) AS y
    FROM unit_metrics
    WHERE experiment_id = {experiment:String} AND metric = {metric:String}
    GROUP BY variant, unit_id
),
pre AS
(
    SELECT
        e.variant AS variant,
        e.unit_id AS unit_id,
        count() AS pre_events,
        multiIf(
            {type:String} = 'count', toFloat64(count()),
            {type:String} = 'proportion', toFloat64(sum(p.value) > 0),
            {aggregation:String} = 'sum', sum(p.value),
            avg(p.value)) AS x
    FROM events AS p
    INNER JOIN exposure AS e ON p.unit_id = e.unit_id
    WHERE p.metric = {covariate:String}
      AND p.ts < e.exposed_at
      AND p.ts >= e.exposed_at - toIntervalMillisecond({pre_period_ms:Int64})
    GROUP BY e.variant, e.unit_id
)
SELECT
    o.variant                  AS variant,
    toUInt64(count())          AS n,
    sum(o.y)                   AS sum,
    sum(o.y * o.y)             AS sum_squares,
    sum(pre.x)                 AS covariate_sum,
    sum(pre.x * pre.x)         AS covariate_sum_squares,
    sum(o.y * pre.x)           AS covariate_cross_sum,
    toUInt64(countIf(pre.pre_events > 0)) AS units_with_covariate
FROM outcome AS o
LEFT JOIN pre ON o.variant = pre.variant AND o.unit_id = pre.unit_id
GROUP BY o.variant
ORDER BY o.variant
SETTINGS join_use_nulls = 0
