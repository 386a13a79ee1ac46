-- Cross-tab of two experiments' variants over the units both saw (any metric): the input of
-- the assignment-independence chi-square. Misrouted units (two variants in one experiment)
-- are left out, as in interference-cells.sql.
-- Parameters: {a:String}, {b:String}.
SELECT
    va                 AS variant_a,
    vb                 AS variant_b,
    toUInt64(count())  AS units
FROM
(
    SELECT unit_id, any(variant) AS va
    FROM unit_metrics
    WHERE experiment_id = {a:String}
    GROUP BY unit_id
    HAVING uniqExact(variant) = 1
) AS ma
INNER JOIN
(
    SELECT unit_id, any(variant) AS vb
    FROM unit_metrics
    WHERE experiment_id = {b:String}
    GROUP BY unit_id
    HAVING uniqExact(variant) = 1
) AS mb USING (unit_id)
GROUP BY variant_a, variant_b
ORDER BY variant_a, variant_b
