-- ratio-stats-batch.sql as an increment (src/services/evaluate-incremental.ts): per unit of the cycle's
-- touched table ({touched:Identifier}, eval-touched-fill.sql) its Y and D over the events
-- received <= {from_ms} ("old") and <= {to_ms} ("new"), summed per (key, variant) in both columns; the
-- caller adds new − old (see variant-stats-incremental.sql). A unit counts once it has an event of
-- either leg, as in the batch query. Spec i is ({keys}[i], {experiments}[i], {numerators}[i], {denominators}[i]).
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
),
per_unit AS
(
    SELECT l.key AS key, e.variant AS variant, e.unit_id AS unit_id,
           countIf(e.received_at <= fromUnixTimestamp64Milli({from_ms:Int64})) AS events_old,
           countIf(e.received_at <= fromUnixTimestamp64Milli({to_ms:Int64})) AS events_new,
           sumIf(e.value, l.is_numerator = 1 AND e.received_at <= fromUnixTimestamp64Milli({from_ms:Int64})) AS y_old,
           sumIf(e.value, l.is_numerator = 0 AND e.received_at <= fromUnixTimestamp64Milli({from_ms:Int64})) AS d_old,
           sumIf(e.value, l.is_numerator = 1 AND e.received_at <= fromUnixTimestamp64Milli({to_ms:Int64})) AS y_new,
           sumIf(e.value, l.is_numerator = 0 AND e.received_at <= fromUnixTimestamp64Milli({to_ms:Int64})) AS d_new
    FROM {touched:Identifier} AS e
    INNER JOIN legs AS l ON e.experiment_id = l.experiment_id AND e.metric = l.metric
    WHERE (e.experiment_id, e.metric) IN (SELECT experiment_id, metric FROM legs)
    GROUP BY l.key, e.variant, e.unit_id
)
SELECT
    key, variant,
    toUInt64(countIf(events_old > 0)) AS n_old,                  toUInt64(countIf(events_new > 0)) AS n_new,
    sumIf(y_old, events_old > 0) AS sum_old,                        sumIf(y_new, events_new > 0) AS sum_new,
    sumIf(y_old * y_old, events_old > 0) AS sum_squares_old,           sumIf(y_new * y_new, events_new > 0) AS sum_squares_new,
    sumIf(d_old, events_old > 0) AS denominator_sum_old,            sumIf(d_new, events_new > 0) AS denominator_sum_new,
    sumIf(d_old * d_old, events_old > 0) AS denominator_sum_squares_old, sumIf(d_new * d_new, events_new > 0) AS denominator_sum_squares_new,
    sumIf(y_old * d_old, events_old > 0) AS cross_sum_old,             sumIf(y_new * d_new, events_new > 0) AS cross_sum_new
FROM per_unit
GROUP BY key, variant
ORDER BY key, variant
