-- When each given experiment was last evaluated (its newest verdict), for the evaluation cycle's
-- due check after a restart or when another worker process evaluated it (src/services/evaluate-cycle.ts).
-- Parameters: {experiments:Array(String)}.
SELECT experiment_id, toUnixTimestamp64Milli(max(evaluated_at)) AS evaluated_ms
FROM verdicts
WHERE experiment_id IN {experiments:Array(String)}
GROUP BY experiment_id
