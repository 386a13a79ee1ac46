-- cuped-stats-batch.sql as an increment (src/services/evaluate-incremental.ts, issue 16 item 3): for every
-- unit of the cycle's touched table ({touched:Identifier}, eval-touched-fill.sql: all events up to {to_ms}
-- of each unit id with an event received after the oldest held watermark, under ANY experiment), the
-- unit's outcome y, exposure and pre-period covariate x as of {from_ms} ("old": its events received
-- <= {from_ms}) and {to_ms} ("new"), summed per (key, variant) in both columns; the caller adds new − old.
-- Exact for CUPED's per-unit function: y reads the unit's events under the spec's experiment, the
-- exposure is its first event there (so a late event can move it earlier), and x reads its covariate
-- events under any experiment in [exposure − pre-period, exposure) — all of them events of that unit id,
-- so a unit id absent from the table has the same y and x at both watermarks. A unit counts (n) once it
-- has an outcome event; a unit without a pre-period event has x = 0, as the batch's LEFT JOIN gives.
-- Parameters: those of cuped-stats-batch.sql and {touched:Identifier}, {from_ms:Int64}, {to_ms:Int64}.
WITH
specs AS
(
    SELECT s.1 AS key, s.2 AS experiment_id, s.3 AS metric, s.4 AS type, s.5 AS aggregation, s.6 AS covariate, s.7 AS exposure, s.8 AS pre_period_ms
    FROM (SELECT arrayJoin(arrayZip({keys:Array(UInt32)}, {experiments:Array(String)}, {metrics:Array(String)}, {types:Array(String)}, {aggregations:Array(String)}, {covariates:Array(String)}, {exposures:Array(String)}, {pre_period_ms:Array(Int64)})) AS s)
),
units AS
(
    SELECT experiment_id, metric, variant, unit_id,
           countIf(received_at <= fromUnixTimestamp64Milli({from_ms:Int64})) AS events_old,
           sumIf(value, received_at <= fromUnixTimestamp64Milli({from_ms:Int64})) AS total_old,
           minIf(ts, received_at <= fromUnixTimestamp64Milli({from_ms:Int64})) AS first_old,
           count() AS events_new, sum(value) AS total_new, min(ts) AS first_new
    FROM {touched:Identifier}
    WHERE experiment_id IN (SELECT experiment_id FROM specs)
      AND received_at <= fromUnixTimestamp64Milli({to_ms:Int64})
    GROUP BY experiment_id, metric, variant, unit_id
),
outcome AS
(
    SELECT
        s.key AS key, u.variant AS variant, u.unit_id AS unit_id, u.events_old AS events_old,
        multiIf(s.type = 'count', toFloat64(u.events_old), s.type = 'proportion', toFloat64(u.total_old > 0),
                s.aggregation = 'sum', u.total_old, if(u.events_old > 0, u.total_old / u.events_old, 0)) AS y_old,
        multiIf(s.type = 'count', toFloat64(u.events_new), s.type = 'proportion', toFloat64(u.total_new > 0),
                s.aggregation = 'sum', u.total_new, u.total_new / u.events_new) AS y_new
    FROM units AS u
    INNER JOIN specs AS s ON u.experiment_id = s.experiment_id AND u.metric = s.metric
),
exposure AS
(
    SELECT s.key AS key, any(s.covariate) AS covariate, any(s.type) AS type, any(s.aggregation) AS aggregation, any(s.pre_period_ms) AS pre_period_ms,
           u.variant AS variant, u.unit_id AS unit_id,
           max(u.events_old > 0) AS exposed_old, minIf(u.first_old, u.events_old > 0) AS exposed_at_old, min(u.first_new) AS exposed_at_new
    FROM units AS u
    INNER JOIN specs AS s ON u.experiment_id = s.experiment_id
    WHERE s.exposure = '' OR u.metric = s.exposure
    GROUP BY s.key, u.variant, u.unit_id
),
history AS
(
    SELECT unit_id, metric, groupArray(ts) AS tss, groupArray(value) AS values, groupArray(received_at) AS received
    FROM {touched:Identifier}
    WHERE metric IN (SELECT covariate FROM specs)
      AND received_at <= fromUnixTimestamp64Milli({to_ms:Int64})
    GROUP BY unit_id, metric
),
pre AS
(
    SELECT key, variant, unit_id,
        if(exposed_old = 1, length(window_old), 0) AS pre_events_old,
        length(window_new) AS pre_events_new,
        if(pre_events_old = 0, 0, multiIf(type = 'count', toFloat64(pre_events_old), type = 'proportion', toFloat64(arraySum(window_old) > 0),
                aggregation = 'sum', arraySum(window_old), arrayAvg(window_old))) AS x_old,
        if(pre_events_new = 0, 0, multiIf(type = 'count', toFloat64(pre_events_new), type = 'proportion', toFloat64(arraySum(window_new) > 0),
                aggregation = 'sum', arraySum(window_new), arrayAvg(window_new))) AS x_new
    FROM
    (
        SELECT e.key AS key, e.variant AS variant, e.unit_id AS unit_id, e.type AS type, e.aggregation AS aggregation, e.exposed_old AS exposed_old,
               arrayFilter((v, t, r) -> r <= fromUnixTimestamp64Milli({from_ms:Int64}) AND t < e.exposed_at_old
                   AND t >= e.exposed_at_old - toIntervalMillisecond(e.pre_period_ms), h.values, h.tss, h.received) AS window_old,
               arrayFilter((v, t) -> t < e.exposed_at_new AND t >= e.exposed_at_new - toIntervalMillisecond(e.pre_period_ms), h.values, h.tss) AS window_new
        FROM exposure AS e
        INNER JOIN history AS h ON e.unit_id = h.unit_id AND e.covariate = h.metric
    )
)
SELECT
    o.key                                                  AS key,
    o.variant                                              AS variant,
    toUInt64(countIf(o.events_old > 0))                    AS n_old,
    toUInt64(count())                                      AS n_new,
    sumIf(o.y_old, o.events_old > 0)                       AS sum_old,
    sum(o.y_new)                                           AS sum_new,
    sumIf(o.y_old * o.y_old, o.events_old > 0)             AS sum_squares_old,
    sum(o.y_new * o.y_new)                                 AS sum_squares_new,
    sumIf(pre.x_old, o.events_old > 0)                     AS covariate_sum_old,
    sum(pre.x_new)                                         AS covariate_sum_new,
    sumIf(pre.x_old * pre.x_old, o.events_old > 0)         AS covariate_sum_squares_old,
    sum(pre.x_new * pre.x_new)                             AS covariate_sum_squares_new,
    sumIf(o.y_old * pre.x_old, o.events_old > 0)           AS covariate_cross_sum_old,
    sum(o.y_new * pre.x_new)                               AS covariate_cross_sum_new,
    toUInt64(countIf(o.events_old > 0 AND pre.pre_events_old > 0)) AS units_with_covariate_old,
    toUInt64(countIf(pre.pre_events_new > 0))              AS units_with_covariate_new
FROM outcome AS o
LEFT JOIN pre ON o.key = pre.key AND o.variant = pre.variant AND o.unit_id = pre.unit_id
GROUP BY o.key, o.variant
ORDER BY o.key, o.variant
