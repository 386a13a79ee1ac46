-- engine-settings: optimize_aggregation_in_order = 1
-- variant-stats.sql for many (experiment, metric) specs in one pass (src/services/evaluate-batch.ts).
-- Spec i is ({keys}[i], {experiments}[i], {metrics}[i], {types}[i], {aggregations}[i]); rows come back
-- per key and variant. Two specs may read the same event metric with other types: the join fans out.
-- sum_cubes (Σx³) gives the skewness that gates a guardrail's look (src/stats/min-sample.ts);
-- in_unit_interval says every unit value lies in [0, 1] (a rate: no gate, see metric-evidence.ts).
-- A unit_metrics row is already one unit of one (experiment, metric, variant): x is computed on it
-- directly, with no second GROUP BY unit (that regrouping was half the cost: bench/README.md, issue 16).
-- The join's right side is the small specs list. Parameters: {keys:Array(UInt32)}, {experiments:Array(String)},
-- {metrics:Array(String)}, {types:Array(String)}, {aggregations:Array(String)}.
WITH specs AS
(
    SELECT s.1 AS key, s.2 AS experiment_id, s.3 AS metric, s.4 AS type, s.5 AS aggregation
    FROM (SELECT arrayJoin(arrayZip({keys:Array(UInt32)}, {experiments:Array(String)}, {metrics:Array(String)}, {types:Array(String)}, {aggregations:Array(String)})) AS s)
)
SELECT
    key,
    variant,
    toUInt64(count()) AS n,
    sum(x)            AS sum,
    sum(x * x)        AS sum_squares,
    sum(x * x * x)    AS sum_cubes,
    toUInt8(min(x) >= 0 AND max(x) <= 1) AS in_unit_interval
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
    FROM (SELECT experiment_id, metric, variant, events, total FROM unit_metrics WHERE (experiment_id, metric) IN (SELECT experiment_id, metric FROM specs)) AS u
    INNER JOIN specs AS s ON u.experiment_id = s.experiment_id AND u.metric = s.metric
)
GROUP BY key, variant
ORDER BY key, variant
