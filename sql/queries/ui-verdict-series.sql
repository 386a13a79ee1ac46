-- One experiment's verdicts in order, thinned to every {stride}-th for long runs; every
-- verdict that acted (not `continue`) and the newest are always kept. `evidence` holds the
-- comparisons (effect, always-valid interval, p-values) the verdict was decided on.
-- Parameters: {experiment:String}, {stride:UInt32} (1 = all), {last_seq:UInt32}.
SELECT
    seq,
    toUnixTimestamp64Milli(evaluated_at) AS at_ms,
    decision,
    step,
    needs_approval,
    reasons,
    evidence
FROM verdicts
WHERE experiment_id = {experiment:String}
  AND (seq % {stride:UInt32} = 0 OR decision != 'continue' OR seq = {last_seq:UInt32})
ORDER BY seq
