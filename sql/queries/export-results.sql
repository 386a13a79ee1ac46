-- `runway export`: an experiment's per-look, per-variant results (analytics.v1_results) with the
-- verdict's decision and reason codes. Parameter: {experiment:String}.
SELECT r.experiment_id, r.seq, r.evaluated_at, r.decision, r.step, r.metric, r.role, r.variant, r.method, r.status,
       r.control_mean, r.treatment_mean, r.effect, r.ci_low, r.ci_high, r.p_value, r.adjusted_p_value,
       r.control_units, r.treatment_units, v.reason_codes
FROM analytics.v1_results AS r
LEFT JOIN analytics.v1_verdicts AS v ON v.verdict_id = r.verdict_id
WHERE r.experiment_id = {experiment:String}
ORDER BY r.seq, r.metric, r.variant
