-- The running minimum of each interaction's always-valid p-value over earlier runs, for every
-- candidate pair at once (the next run takes the minimum with its own), keyed by pair, metric
-- and treatments. Parameters: {pairs:Array(Tuple(String,String))} (experiment_a, experiment_b).
SELECT experiment_a, experiment_b, metric, variant_a, variant_b, min(p_value) AS min_p
FROM interference
WHERE (experiment_a, experiment_b) IN {pairs:Array(Tuple(String,String))}
  AND kind = 'interaction' AND p_value IS NOT NULL
GROUP BY experiment_a, experiment_b, metric, variant_a, variant_b
