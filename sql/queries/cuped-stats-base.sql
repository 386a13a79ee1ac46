-- cuped-stats-batch.sql as of a watermark: the base the incremental reader holds per spec
-- (src/services/evaluate-incremental.ts), over the events received <= {to_ms}: the units' aggregates read
-- from events (the view's projection cannot be bounded by received_at) and the pre-period history bounded
-- likewise. Columns named as an increment's (<field>_new). Parameters: those of cuped-stats-batch.sql and {to_ms:Int64}.
WITH
specs AS
(
    SELECT s.1 AS key, s.2 AS experiment_id, s.3 AS metric, s.4 AS type, s.5 AS aggregation, s.6 AS covariate, s.7 AS exposure, s.8 AS pre_period_ms
    FROM (SELECT arrayJoin(arrayZip({keys:Array(UInt32)}, {experiments:Array(String)}, {metrics:Array(String)}, {types:Array(String)}, {aggregations:Array(String)}, {covariates:Array(String)}, {exposures:Array(String)}, {pre_period_ms:Array(Int64)})) AS s)
),
units AS
(
    SELECT experiment_id, metric, variant, unit_id, toUInt64(count()) AS events, sum(value) AS total, min(ts) AS first_ts
    FROM events
    WHERE experiment_id IN (SELECT experiment_id FROM specs)
      AND received_at <= fromUnixTimestamp64Milli({to_ms:Int64})
    GROUP BY experiment_id, metric, variant, unit_id
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
      AND received_at <= fromUnixTimestamp64Milli({to_ms:Int64})
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
    toUInt64(count())          AS n_new,
    sum(o.y)                   AS sum_new,
    sum(o.y * o.y)             AS sum_squares_new,
    sum(pre.x)                 AS covariate_sum_new,
    sum(pre.x * pre.x)         AS covariate_sum_squares_new,
    sum(o.y * pre.x)           AS covariate_cross_sum_new,
    toUInt64(countIf(pre.pre_events > 0)) AS units_with_covariate_new
FROM outcome AS o
LEFT JOIN pre ON o.key = pre.key AND o.variant = pre.variant AND o.unit_id = pre.unit_id
GROUP BY o.key, o.variant
ORDER BY o.key, o.variant
