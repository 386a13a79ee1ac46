-- ratio-stats.sql for many ratio specs in one pass (src/services/evaluate-batch.ts). Spec i is
-- ({keys}[i], {experiments}[i], {numerators}[i], {denominators}[i]); rows come back per key and variant.
-- Each spec is joined as two legs (numerator, denominator) so a unit's Y and D are summed as there.
-- Parameters: {keys:Array(UInt32)}, {experiments:Array(String)}, {numerators:Array(String)}, {denominators:Array(String)}.
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
    toUInt64(count())  AS n,
    sum(y)             AS sum,
    sum(y * y)         AS sum_squares,
    sum(d)             AS denominator_sum,
    sum(d * d)         AS denominator_sum_squares,
    sum(y * d)         AS cross_sum
FROM
(
    SELECT
        l.key AS key,
        u.variant AS variant,
        u.unit_id AS unit_id,
        sumIf(u.total, l.is_numerator = 1) AS y,
        sumIf(u.total, l.is_numerator = 0) AS d
    FROM unit_metrics AS u
    INNER JOIN legs AS l ON u.experiment_id = l.experiment_id AND u.metric = l.metric
    WHERE (u.experiment_id, u.metric) IN (SELECT experiment_id, metric FROM legs)
    GROUP BY l.key, u.variant, u.unit_id
)
GROUP BY key, variant
ORDER BY key, variant
