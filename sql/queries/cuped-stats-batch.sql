-- cuped-stats.sql for many CUPED specs in one pass (src/services/evaluate-batch.ts). Spec i is
-- ({keys}[i], {experiments}[i], {metrics}[i], {types}[i], {aggregations}[i], {covariates}[i],
-- {exposures}[i], {pre_period_ms}[i]); rows come back per key and variant, each sum as there.
WITH
specs AS
(
    SELECT s.1 AS key, s.2 AS experiment_id, s.3 AS metric, s.4 AS type, s.5 AS aggregation, s.6 AS covariate, s.7 AS exposure, s.8 AS pre_period_ms
    FROM (SELECT arrayJoin(arrayZip({keys:Array(UInt32)}, {experiments:Array(String)}, {metrics:Array(String)}, {types:Array(String)}, {aggregations:Array(String)}, {covariates:Array(String)}, {exposures:Array(String)}, {pre_period_ms:Array(Int64)})) AS s)
),
exposure AS
(
    SELECT s.key AS key, any(s.covariate) AS covariate, any(s.type) AS type, any(s.aggregation) AS aggregation, any(s.pre_period_ms) AS pre_period_ms,
           ev.variant AS variant, ev.unit_id AS unit_id, min(ev.ts) AS exposed_at
    FROM events AS ev
    INNER JOIN specs AS s ON ev.experiment_id = s.experiment_id
    WHERE ev.experiment_id IN (SELECT experiment_id FROM specs) AND (s.exposure = '' OR ev.metric = s.exposure)
    GROUP BY s.key, ev.variant, ev.unit_id
),
outcome AS
(
    SELECT
        s.key AS key,
        u.variant AS variant,
        u.unit_id AS unit_id,
        multiIf(
            s.type = 'count', toFloat64(sum(u.events)),
            s.type = 'proportion', toFloat64(sum(u.total) > 0),
            s.aggregation = 'sum', sum(u.total),
            sum(u.total) / sum(u.events)) AS y
    FROM unit_metrics AS u
    INNER JOIN specs AS s ON u.experiment_id = s.experiment_id AND u.metric = s.metric
    WHERE (u.experiment_id, u.metric) IN (SELECT experiment_id, metric FROM specs)
    GROUP BY s.key, s.type, s.aggregation, u.variant, u.unit_id
),
pre AS
(
    SELECT
        e.key AS key,
        e.variant AS variant,
        e.unit_id AS unit_id,
        count() AS pre_events,
        multiIf(
            any(e.type) = 'count', toFloat64(count()),
            any(e.type) = 'proportion', toFloat64(sum(p.value) > 0),
            any(e.aggregation) = 'sum', sum(p.value),
            avg(p.value)) AS x
    FROM events AS p
    INNER JOIN exposure AS e ON p.unit_id = e.unit_id AND p.metric = e.covariate
    WHERE p.metric IN (SELECT covariate FROM specs)
      AND p.ts < e.exposed_at
      AND p.ts >= e.exposed_at - toIntervalMillisecond(e.pre_period_ms)
    GROUP BY e.key, e.variant, e.unit_id
)
SELECT
    o.key                      AS key,
    o.variant                  AS variant,
    toUInt64(count())          AS n,
    sum(o.y)                   AS sum,
    sum(o.y * o.y)             AS sum_squares,
    sum(pre.x)                 AS covariate_sum,
    sum(pre.x * pre.x)         AS covariate_sum_squares,
    sum(o.y * pre.x)           AS covariate_cross_sum,
    toUInt64(countIf(pre.pre_events > 0)) AS units_with_covariate
FROM outcome AS o
LEFT JOIN pre ON o.key = pre.key AND o.variant = pre.variant AND o.unit_id = pre.unit_id
GROUP BY o.key, o.variant
ORDER BY o.key, o.variant
SETTINGS join_use_nulls = 0
