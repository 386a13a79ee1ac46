-- ratio-stats-batch.sql as of a watermark: the base the incremental reader holds
-- (src/services/evaluate-incremental.ts), over the events received <= {to_ms} (read from events: the
-- view's projection cannot be bounded by received_at); columns named as an increment's (<field>_new).
-- Parameters: those of ratio-stats-batch.sql and {to_ms:Int64}.
WITH
specs AS
(
    SELECT s.1 AS key, s.2 AS experiment_id, s.3 AS numerator, s.4 AS denominator
    FROM (SELECT arrayJoin(arrayZip({keys:Array(UInt32)}, {experiments:Array(String)}, {numerators:Array(String)}, {denominators:Array(String)})) AS s)
),
legs AS
(
    SELECT key, experiment_id, numerator AS metric, toUInt8(1) AS is_numerator FROM specs
    UNION ALL
    SELECT key, experiment_id, denominator AS metric, toUInt8(0) AS is_numerator FROM specs
)
SELECT
    key,
    variant,
    toUInt64(count())  AS n_new,
    sum(y)             AS sum_new,
    sum(y * y)         AS sum_squares_new,
    sum(d)             AS denominator_sum_new,
    sum(d * d)         AS denominator_sum_squares_new,
    sum(y * d)         AS cross_sum_new
FROM
(
    SELECT
        l.key AS key,
        u.variant AS variant,
        u.unit_id AS unit_id,
        sumIf(u.total, l.is_numerator = 1) AS y,
        sumIf(u.total, l.is_numerator = 0) AS d
    FROM
    (
        SELECT experiment_id, metric, variant, unit_id, sum(value) AS total
        FROM events
        WHERE (experiment_id, metric) IN (SELECT experiment_id, metric FROM legs)
          AND received_at <= fromUnixTimestamp64Milli({to_ms:Int64})
        GROUP BY experiment_id, metric, variant, unit_id
    ) AS u
    INNER JOIN legs AS l ON u.experiment_id = l.experiment_id AND u.metric = l.metric
    GROUP BY l.key, u.variant, u.unit_id
)
GROUP BY key, variant
ORDER BY key, variant
-- engine-settings: optimize_aggregation_in_order = 1
