-- quantile-stats.sql for many quantile specs in one pass (src/services/evaluate-batch.ts). Spec i is
-- ({keys}[i], {experiments}[i], {metrics}[i], {levels}[i]); rows come back per key and variant,
-- with the same order statistics and cluster sums as there. One scan of events, grouped by arm
-- (experiment, metric, variant) only: each arm collects its (unit, value) pairs and sorts them, and
-- arraySplit cuts the sorted pairs where the unit changes, which gives each unit's values without a
-- per-unit GROUP BY. That GROUP BY (experiment, metric, variant, unit_id: a serialized multi-column
-- key per row) was most of this query's cost: 3.2-3.5 CPU-s of 3.5-3.8 at 10M events, against 1.9-2.2
-- for the whole query now, same rows byte for byte (bench/README.md, 2026-12-03 third pass). The
-- cluster sums (below-q counts, event counts per unit) are integers in Float64, so the order units
-- come in does not change them. The order statistics and below-q counts are array functions over the
-- arm, as before. The scan's filter is experiment IN and metric IN, a superset of the specs' pairs that
-- the join to specs then makes exact: the tuple IN cost 1.1 CPU-s of a 10M-row scan against 0.3.
WITH
specs AS
(
    SELECT s.1 AS key, s.2 AS experiment_id, s.3 AS metric, s.4 AS level
    FROM (SELECT arrayJoin(arrayZip({keys:Array(UInt32)}, {experiments:Array(String)}, {metrics:Array(String)}, {levels:Array(Float64)})) AS s)
),
arm AS
(
    SELECT experiment_id, metric, variant, arraySort(groupArray((unit_id, value))) AS pairs
    FROM events
    WHERE experiment_id IN (SELECT experiment_id FROM specs) AND metric IN (SELECT metric FROM specs)
    GROUP BY experiment_id, metric, variant
),
split AS
(
    SELECT experiment_id, metric, variant,
        arrayMap(p -> p.1, pairs) AS us,
        arraySplit((v, u, p) -> u != p, arrayMap(p -> p.2, pairs), us, arrayPopBack(arrayPushFront(us, ''))) AS unit_values,
        length(unit_values) AS units
    FROM arm
)
SELECT
    key,
    variant,
    toUInt64(events)                                       AS events,
    toUInt64(units_n)                                      AS units,
    q                                                      AS quantile,
    lo                                                     AS lower,
    hi                                                     AS upper,
    arraySum(bs)                                           AS below_sum,
    arraySum(b -> b * b, bs)                               AS below_sum_squares,
    arraySum(es)                                           AS events_sum,
    arraySum(e -> e * e, es)                               AS events_sum_squares,
    arraySum((b, e) -> b * e, bs, es)                      AS below_events_cross_sum
FROM
(
    SELECT
        s.key AS key,
        a.variant AS variant,
        s.level AS level,
        a.units AS units_n,
        arraySort(arrayFlatten(a.unit_values)) AS sorted,
        length(sorted) AS events,
        1.959963984540054 * sqrt(level * (1 - level) / events) AS h,
        sorted[toUInt64(least(toFloat64(events), greatest(1., ceil(events * level - 1e-9))))] AS q,
        sorted[toUInt64(least(toFloat64(events), greatest(1., ceil(events * (level - h) - 1e-9))))] AS lo,
        sorted[toUInt64(least(toFloat64(events), greatest(1., ceil(events * (level + h) - 1e-9))))] AS hi,
        arrayMap(u -> toFloat64(arrayCount(x -> x <= q, u)), a.unit_values) AS bs,
        arrayMap(u -> toFloat64(length(u)), a.unit_values) AS es
    FROM split AS a
    INNER JOIN specs AS s ON a.experiment_id = s.experiment_id AND a.metric = s.metric
)
ORDER BY key, variant
