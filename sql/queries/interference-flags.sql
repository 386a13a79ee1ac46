-- The latest interference run's flagged rows that involve any of the given experiments, for the
-- INTERFERENCE_FLAGGED reason of their verdicts (src/services/interference-flags.ts): one query
-- per evaluation cycle. A pair absent from the latest run (an experiment ended) is not reported.
-- Parameters: {experiments:Array(String)}.
SELECT
    experiment_a, experiment_b, kind, metric, variant_a, variant_b, units,
    delta, ci_low, ci_high, adjusted_p, p_value, chi_square, df
FROM interference
WHERE run_id = (SELECT argMax(run_id, evaluated_at) FROM interference)
  AND status = 'flagged'
  AND (experiment_a IN {experiments:Array(String)} OR experiment_b IN {experiments:Array(String)})
ORDER BY experiment_a, experiment_b, kind, metric, variant_a, variant_b
