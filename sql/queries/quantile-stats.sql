-- Quantile arm stats per variant (stats/quantile.ts QuantileArmStats; Deng, Knoblich & Lu 2018
-- §4.3) at level {level:Float64} of the event metric {metric:String}, exact order statistics:
-- the value at rank ⌈n·p⌉ (stats/quantile-sample.ts orderStatistic) at p = level and at the
-- bound levels level ∓ z·√(level(1 − level)/n), z = Φ⁻¹(0.975); then, per unit, bᵢ = events
-- ≤ Q̂ and eᵢ = events, summed for the cluster correction.
WITH
arm AS
(
    SELECT
        variant,
        count() AS events,
        uniqExact(unit_id) AS units,
        arraySort(groupArray(value)) AS sorted,
        1.959963984540054 * sqrt({level:Float64} * (1 - {level:Float64}) / count()) AS h,
        sorted[toUInt64(least(toFloat64(events), greatest(1., ceil(events * {level:Float64} - 1e-9))))] AS q,
        sorted[toUInt64(least(toFloat64(events), greatest(1., ceil(events * ({level:Float64} - h) - 1e-9))))] AS lo,
        sorted[toUInt64(least(toFloat64(events), greatest(1., ceil(events * ({level:Float64} + h) - 1e-9))))] AS hi
    FROM events
    WHERE experiment_id = {experiment:String} AND metric = {metric:String}
    GROUP BY variant
),
per_unit AS
(
    SELECT ev.variant AS variant, ev.unit_id AS unit_id, toFloat64(countIf(ev.value <= a.q)) AS b, toFloat64(count()) AS e
    FROM events AS ev
    INNER JOIN (SELECT variant, q FROM arm) AS a ON ev.variant = a.variant
    WHERE ev.experiment_id = {experiment:String} AND ev.metric = {metric:String}
    GROUP BY ev.variant, ev.unit_id
)
SELECT
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
FROM (SELECT variant, events, units, q, lo, hi FROM arm) AS a
INNER JOIN per_unit AS u ON a.variant = u.variant
GROUP BY a.variant
ORDER BY a.variant
