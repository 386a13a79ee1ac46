-- The whole lifecycle ledger in order, for rebuilding state. No parameters.
SELECT experiment_id, seq, toUnixTimestamp64Milli(at) AS at_ms, from_state, to_state, step, exposure,
       actor_type, actor_id, reason, verdict_id, verdict_seq, alloc_start, alloc_size, prev_hash, hash, codes, result, blocked_by
FROM lifecycle
ORDER BY experiment_id, seq
