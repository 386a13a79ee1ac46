-- The latest run's rows for every pair, or for the pairs one experiment is in
-- ({experiment:String} = '' for all pairs). Parameters: {experiment:String}.
SELECT *
FROM interference
WHERE run_id = (SELECT argMax(run_id, evaluated_at) FROM interference)
  AND ({experiment:String} = '' OR experiment_a = {experiment:String} OR experiment_b = {experiment:String})
ORDER BY experiment_a, experiment_b, kind, metric, variant_a, variant_b
