-- cuped-stats.sql for many CUPED specs in one pass (src/services/evaluate-batch.ts). Spec i is
-- ({keys}[i], {experiments}[i], {metrics}[i], {types}[i], {aggregations}[i], {covariates}[i],
-- {exposures}[i], {pre_period_ms}[i]); rows come back per key and variant, each sum as there.
-- Exposure: a unit's first event (of the exposure metric, when the spec names one), from its
-- unit_metrics rows. The pre-period covariate counts the unit's events of the covariate metric in
-- [exposed_at - pre_period, exposed_at), under any experiment: they are read once per (unit, metric)
-- into a (ts, value) array, for the CUPED experiments' units only, and each exposure filters its own window
-- (the previous text joined every covariate event to every exposure of its unit, row by row).
WITH
specs AS
(
    SELECT s.1 AS key, s.2 AS experiment_id, s.3 AS metric, s.4 AS type, s.5 AS aggregation, s.6 AS covariate, s.7 AS exposure, s.8 AS pre_period_ms
    FROM (SELECT arrayJoin(arrayZip({keys:Array(UInt32)}, {experiments:Array(String)}, {metrics:Array(String)}, {types:Array(String)}, {aggregations:Array(String)}, {covariates:Array(String)}, {exposures:Array(String)}, {pre_period_ms:Array(Int64)})) AS s)
),
units AS
(
    SELECT experiment_id, metric, variant, unit_id, events, total, first_ts
    FROM unit_metrics
    WHERE experiment_id IN (SELECT experiment_id FROM specs)
),
outcome AS
(
    SELECT
        s.key AS key,
        u.variant AS variant,
        u.unit_id AS unit_id,
        multiIf(
            s.type = 'count', toFloat64(u.events),
            s.type = 'proportion', toFloat64(u.total > 0),
            s.aggregation = 'sum', u.total,
            u.total / u.events) AS y
    FROM units AS u
    INNER JOIN specs AS s ON u.experiment_id = s.experiment_id AND u.metric = s.metric
),
exposure AS
(
    SELECT s.key AS key, any(s.covariate) AS covariate, any(s.type) AS type, any(s.aggregation) AS aggregation, any(s.pre_period_ms) AS pre_period_ms,
           u.variant AS variant, u.unit_id AS unit_id, min(u.first_ts) AS exposed_at
    FROM units AS u
    INNER JOIN specs AS s ON u.experiment_id = s.experiment_id
    WHERE s.exposure = '' OR u.metric = s.exposure
    GROUP BY s.key, u.variant, u.unit_id
),
history AS
(
    SELECT unit_id, metric, groupArray(ts) AS tss, groupArray(value) AS values
    FROM events
    WHERE metric IN (SELECT covariate FROM specs)
      AND unit_id IN (SELECT unit_id FROM units)
    GROUP BY unit_id, metric
),
pre AS
(
    SELECT key, variant, unit_id, length(window) AS pre_events,
        multiIf(
            type = 'count', toFloat64(pre_events),
            type = 'proportion', toFloat64(arraySum(window) > 0),
            aggregation = 'sum', arraySum(window),
            arrayAvg(window)) AS x
    FROM
    (
        SELECT e.key AS key, e.variant AS variant, e.unit_id AS unit_id, e.type AS type, e.aggregation AS aggregation,
               arrayFilter((v, t) -> t < e.exposed_at AND t >= e.exposed_at - toIntervalMillisecond(e.pre_period_ms), h.values, h.tss) AS window
        FROM exposure AS e
        INNER JOIN history AS h ON e.unit_id = h.unit_id AND e.covariate = h.metric
    )
    WHERE pre_events > 0
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
