-- The newest ramp verdict that asked for a human, per experiment, with when it was
-- evaluated: a restart restores the approval it waits for. No parameters.
SELECT
    experiment_id,
    argMax(id, seq)                                  AS verdict_id,
    argMax(step, seq)                                AS step,
    max(seq)                                         AS last_seq,
    toUnixTimestamp64Milli(argMax(evaluated_at, seq)) AS evaluated_ms
FROM verdicts
WHERE decision = 'ramp' AND needs_approval
GROUP BY experiment_id
