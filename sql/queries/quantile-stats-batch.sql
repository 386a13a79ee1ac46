-- quantile-stats.sql for many quantile specs in one pass (src/services/evaluate-batch.ts). Spec i is
-- ({keys}[i], {experiments}[i], {metrics}[i], {levels}[i]); rows come back per key and variant,
-- with the same order statistics and cluster sums as there.
WITH
specs AS
(
    SELECT s.1 AS key, s.2 AS experiment_id, s.3 AS metric, s.4 AS level
    FROM (SELECT arrayJoin(arrayZip({keys:Array(UInt32)}, {experiments:Array(String)}, {metrics:Array(String)}, {levels:Array(Float64)})) AS s)
),
arm AS
(
    SELECT
        s.key AS key,
        any(s.experiment_id) AS experiment_id,
        any(s.metric) AS metric,
        s.level AS level,
        ev.variant AS variant,
        count() AS events,
        uniqExact(ev.unit_id) AS units,
        arraySort(groupArray(ev.value)) AS sorted,
        1.959963984540054 * sqrt(level * (1 - level) / count()) AS h,
        sorted[toUInt64(least(toFloat64(events), greatest(1., ceil(events * level - 1e-9))))] AS q,
        sorted[toUInt64(least(toFloat64(events), greatest(1., ceil(events * (level - h) - 1e-9))))] AS lo,
        sorted[toUInt64(least(toFloat64(events), greatest(1., ceil(events * (level + h) - 1e-9))))] AS hi
    FROM events AS ev
    INNER JOIN specs AS s ON ev.experiment_id = s.experiment_id AND ev.metric = s.metric
    WHERE (ev.experiment_id, ev.metric) IN (SELECT experiment_id, metric FROM specs)
    GROUP BY s.key, s.level, ev.variant
),
per_unit AS
(
    SELECT a.key AS key, ev.variant AS variant, ev.unit_id AS unit_id, toFloat64(countIf(ev.value <= a.q)) AS b, toFloat64(count()) AS e
    FROM events AS ev
    INNER JOIN (SELECT key, experiment_id, metric, variant, q FROM arm) AS a
        ON ev.experiment_id = a.experiment_id AND ev.metric = a.metric AND ev.variant = a.variant
    WHERE (ev.experiment_id, ev.metric) IN (SELECT experiment_id, metric FROM specs)
    GROUP BY a.key, ev.variant, ev.unit_id
)
SELECT
    a.key                 AS key,
    a.variant             AS variant,
    toUInt64(any(a.events)) AS events,
    toUInt64(any(a.units))  AS units,
    any(a.q)              AS quantile,
    any(a.lo)             AS lower,
    any(a.hi)             AS upper,
    sum(u.b)              AS below_sum,
    sum(u.b * u.b)        AS below_sum_squares,
    sum(u.e)              AS events_sum,
    sum(u.e * u.e)        AS events_sum_squares,
    sum(u.b * u.e)        AS below_events_cross_sum
FROM (SELECT key, variant, events, units, q, lo, hi FROM arm) AS a
INNER JOIN per_unit AS u ON a.key = u.key AND a.variant = u.variant
GROUP BY a.key, a.variant
ORDER BY a.key, a.variant
