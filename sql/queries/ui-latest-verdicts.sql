-- Each experiment's newest verdict (decision, reasons, evidence): the executive view's
-- top experiments by risk. No parameters.
SELECT
    experiment_id,
    max(seq)                                          AS last_seq,
    argMax(decision, seq)                             AS decision,
    toUnixTimestamp64Milli(argMax(evaluated_at, seq)) AS at_ms,
    argMax(evidence, seq)                             AS evidence
FROM verdicts
GROUP BY experiment_id
