-- Every recorded chain head (one per append), for the audit verifier. No parameters.
SELECT experiment_id, seq, hash
FROM ledger_heads
ORDER BY experiment_id, seq
