-- Ratio metric sufficient statistics per variant (delta method, Deng, Knoblich & Lu 2018):
-- per unit Y = Σ values of {numerator:String}, D = Σ values of {denominator:String} in the
-- experiment; n counts units with an event of either. Returns n, ΣY, ΣY², ΣD, ΣD², ΣY·D.
SELECT
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
        variant,
        unit_id,
        sumIf(total, metric = {numerator:String})   AS y,
        sumIf(total, metric = {denominator:String}) AS d
    FROM unit_metrics
    WHERE experiment_id = {experiment:String} AND metric IN ({numerator:String}, {denominator:String})
    GROUP BY variant, unit_id
)
GROUP BY variant
ORDER BY variant
