-- variant-stats-batch.sql as an increment (src/services/evaluate-incremental.ts, issue 16 item 3): for
-- every unit in the cycle's touched table ({touched:Identifier}, eval-touched-fill.sql: all events up to
-- {to_ms} of the units with an event received after the oldest held watermark <= {from_ms}), the
-- unit's x over its events received <= {from_ms} ("old") and <= {to_ms} ("new"), summed per
-- (key, variant) as two columns each: the caller adds new − old to what it holds. No running sum is
-- subtracted from itself by the engine and a unit absent before (no old event) contributes nothing old.
-- Events received after {to_ms} are in neither and are read by the next increment. `outside` counts
-- the units whose x is outside [0, 1] (in_unit_interval is outside = 0, and a count can be updated).
-- Spec i is ({keys}[i], {experiments}[i], {metrics}[i], {types}[i], {aggregations}[i]), as in the batch query.
WITH
specs AS
(
    SELECT s.1 AS key, s.2 AS experiment_id, s.3 AS metric, s.4 AS type, s.5 AS aggregation
    FROM (SELECT arrayJoin(arrayZip({keys:Array(UInt32)}, {experiments:Array(String)}, {metrics:Array(String)}, {types:Array(String)}, {aggregations:Array(String)})) AS s)
),
per_unit AS
(
    SELECT experiment_id, metric, variant, unit_id,
           countIf(received_at <= fromUnixTimestamp64Milli({from_ms:Int64})) AS events_old,
           sumIf(value, received_at <= fromUnixTimestamp64Milli({from_ms:Int64})) AS total_old,
           countIf(received_at <= fromUnixTimestamp64Milli({to_ms:Int64})) AS events_new,
           sumIf(value, received_at <= fromUnixTimestamp64Milli({to_ms:Int64})) AS total_new
    FROM {touched:Identifier}
    WHERE (experiment_id, metric) IN (SELECT experiment_id, metric FROM specs)
    GROUP BY experiment_id, metric, variant, unit_id
)
SELECT
    key, variant,
    toUInt64(countIf(events_old > 0)) AS n_old,            toUInt64(countIf(events_new > 0)) AS n_new,
    sumIf(xo, events_old > 0) AS sum_old,                  sumIf(xn, events_new > 0) AS sum_new,
    sumIf(xo * xo, events_old > 0) AS sum_squares_old,     sumIf(xn * xn, events_new > 0) AS sum_squares_new,
    sumIf(xo * xo * xo, events_old > 0) AS sum_cubes_old,  sumIf(xn * xn * xn, events_new > 0) AS sum_cubes_new,
    toUInt64(countIf(events_old > 0 AND (xo < 0 OR xo > 1))) AS outside_old,
    toUInt64(countIf(events_new > 0 AND (xn < 0 OR xn > 1))) AS outside_new
FROM
(
    SELECT s.key AS key, u.variant AS variant, u.events_old AS events_old, u.events_new AS events_new,
        multiIf(s.type = 'count', toFloat64(u.events_old), s.type = 'proportion', toFloat64(u.total_old > 0),
                s.type = 'mean' AND s.aggregation = 'sum', u.total_old, u.total_old / u.events_old) AS xo,
        multiIf(s.type = 'count', toFloat64(u.events_new), s.type = 'proportion', toFloat64(u.total_new > 0),
                s.type = 'mean' AND s.aggregation = 'sum', u.total_new, u.total_new / u.events_new) AS xn
    FROM per_unit AS u
    INNER JOIN specs AS s ON u.experiment_id = s.experiment_id AND u.metric = s.metric
)
GROUP BY key, variant
ORDER BY key, variant
