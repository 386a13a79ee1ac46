-- The running minimum of each interaction's always-valid p-value over earlier runs for one
-- pair (the next run takes the minimum with its own), keyed by metric and treatments.
-- Parameters: {a:String}, {b:String}.
SELECT metric, variant_a, variant_b, min(p_value) AS min_p
FROM interference
WHERE experiment_a = {a:String} AND experiment_b = {b:String} AND kind = 'interaction' AND p_value IS NOT NULL
GROUP BY metric, variant_a, variant_b
