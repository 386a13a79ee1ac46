-- Everything unit-level one run of the interference job needs, for every candidate pair at
-- once (one pass instead of queries per pair × metric):
--   metric = ''  : the cross-tab of A's by B's variants over the units both saw (n = units),
--                  the input of the assignment-independence chi-square;
--   metric = m   : the cells of metric m (as measured in A) per variant of A × variant of B:
--                  unit-level n, sum x, sum x^2.
-- A unit seen in two variants of one experiment (misrouted) has no one cell and is left out:
-- on B's side and in the cross-tab over all of the experiment's metrics, on A's side of
-- metric m over A's rows of m (as the per-pair queries did).
-- Parameters: {experiments:Array(String)} the experiments of the pairs;
-- {measures:Array(Tuple(String,String))} (A, metric) for every shared metric of a pair;
-- {sums:Array(Tuple(String,String))} those of them whose aggregation is 'sum' (the others are means);
-- {cells:Array(Tuple(String,String,String))} (A, B, metric) wanted, metric '' for the cross-tab.
WITH unit_variant AS
(
    -- A unit's one variant in an experiment; shared by both sides (its only definition).
    SELECT experiment_id, unit_id, any(variant) AS one_variant
    FROM unit_metrics
    WHERE experiment_id IN {experiments:Array(String)}
    GROUP BY experiment_id, unit_id
    HAVING uniqExact(variant) = 1
)
SELECT
    ua.experiment_id        AS experiment_a,
    ub.experiment_id        AS experiment_b,
    ua.metric               AS metric,
    ua.one_variant          AS variant_a,
    ub.one_variant          AS variant_b,
    toUInt64(count())       AS n,
    sum(ua.x)               AS sum,
    sum(ua.x * ua.x)        AS sum_squares
FROM
(
    SELECT experiment_id, '' AS metric, unit_id, one_variant, toFloat64(0) AS x
    FROM unit_variant
    UNION ALL
    SELECT
        experiment_id,
        metric,
        unit_id,
        any(variant) AS one_variant,
        if(has({sums:Array(Tuple(String,String))}, (toString(experiment_id), toString(metric))), sum(total), sum(total) / sum(events)) AS x
    FROM unit_metrics
    WHERE (experiment_id, metric) IN {measures:Array(Tuple(String,String))}
    GROUP BY experiment_id, metric, unit_id
    HAVING uniqExact(variant) = 1
) AS ua
-- Each of A's unit rows goes to the pairs that want it, then meets B's row of the same unit:
-- the join makes exactly the rows the cells need (not every experiment of the unit).
INNER JOIN
(
    SELECT c.1 AS a, c.2 AS b, c.3 AS m
    FROM (SELECT arrayJoin({cells:Array(Tuple(String,String,String))}) AS c)
) AS wanted ON ua.experiment_id = wanted.a AND ua.metric = wanted.m
INNER JOIN unit_variant AS ub ON ub.experiment_id = wanted.b AND ub.unit_id = ua.unit_id
GROUP BY experiment_a, experiment_b, metric, variant_a, variant_b
ORDER BY experiment_a, experiment_b, metric, variant_a, variant_b
