-- variant-stats-batch.sql as of a watermark: the base the incremental reader holds and then moves
-- (src/services/evaluate-incremental.ts), over the events received <= {to_ms}. One aggregate per
-- (experiment, metric, variant, unit) read from events in storage order (the view's projection cannot
-- be bounded by received_at), then x per unit as in the batch query. Columns are named <field>_new, as an
-- increment with nothing old; `outside` counts the units whose x is outside [0, 1].
-- Parameters: those of variant-stats-batch.sql and {to_ms:Int64}.
WITH specs AS
(
    SELECT s.1 AS key, s.2 AS experiment_id, s.3 AS metric, s.4 AS type, s.5 AS aggregation
    FROM (SELECT arrayJoin(arrayZip({keys:Array(UInt32)}, {experiments:Array(String)}, {metrics:Array(String)}, {types:Array(String)}, {aggregations:Array(String)})) AS s)
)
SELECT
    key,
    variant,
    toUInt64(count())                        AS n_new,
    sum(x)                                   AS sum_new,
    sum(x * x)                               AS sum_squares_new,
    sum(x * x * x)                           AS sum_cubes_new,
    toUInt64(countIf(x < 0 OR x > 1))        AS outside_new
FROM
(
    SELECT
        s.key AS key,
        u.variant AS variant,
        multiIf(
            s.type = 'count', toFloat64(u.events),
            s.type = 'proportion', toFloat64(u.total > 0),
            s.type = 'mean' AND s.aggregation = 'sum', u.total,
            u.total / u.events) AS x
    FROM
    (
        SELECT experiment_id, metric, variant, unit_id, count() AS events, sum(value) AS total
        FROM events
        WHERE (experiment_id, metric) IN (SELECT experiment_id, metric FROM specs)
          AND received_at <= fromUnixTimestamp64Milli({to_ms:Int64})
        GROUP BY experiment_id, metric, variant, unit_id
    ) AS u
    INNER JOIN specs AS s ON u.experiment_id = s.experiment_id AND u.metric = s.metric
)
GROUP BY key, variant
ORDER BY key, variant
-- engine-settings: optimize_aggregation_in_order = 1
