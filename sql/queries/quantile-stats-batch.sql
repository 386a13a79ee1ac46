-- quantile-stats.sql for many quantile specs in one pass (src/services/evaluate-batch.ts). Spec i is
-- ({keys}[i], {experiments}[i], {metrics}[i], {levels}[i]); rows come back per key and variant,
-- with the same order statistics and cluster sums as there. The arm (sorted values, order statistics)
-- is computed once: its figures ride along the per-unit join instead of a second join back to it,
-- which made the engine sort every arm twice.
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
    SELECT a.key AS key, ev.variant AS variant, ev.unit_id AS unit_id, toFloat64(countIf(ev.value <= a.q)) AS b, toFloat64(count()) AS e,
           any(a.events) AS arm_events, any(a.units) AS arm_units, any(a.q) AS arm_q, any(a.lo) AS arm_lo, any(a.hi) AS arm_hi
    FROM events AS ev
    INNER JOIN (SELECT key, experiment_id, metric, variant, q, events, units, lo, hi FROM arm) AS a
        ON ev.experiment_id = a.experiment_id AND ev.metric = a.metric AND ev.variant = a.variant
    WHERE (ev.experiment_id, ev.metric) IN (SELECT experiment_id, metric FROM specs)
    GROUP BY a.key, ev.variant, ev.unit_id
)
SELECT
    key                     AS key,
    variant                 AS variant,
    toUInt64(any(arm_events)) AS events,
    toUInt64(any(arm_units))  AS units,
    any(arm_q)              AS quantile,
    any(arm_lo)             AS lower,
    any(arm_hi)             AS upper,
    sum(b)                  AS below_sum,
    sum(b * b)              AS below_sum_squares,
    sum(e)                  AS events_sum,
    sum(e * e)              AS events_sum_squares,
    sum(b * e)              AS below_events_cross_sum
FROM per_unit
GROUP BY key, variant
ORDER BY key, variant
