-- One experiment's ledger in order. Parameters: {experiment:String}.
SELECT experiment_id, seq, toUnixTimestamp64Milli(at) AS at_ms, from_state, to_state, step, exposure,
       actor_type, actor_id, reason, verdict_id, verdict_seq, alloc_start, alloc_size, prev_hash, hash, codes, result, blocked_by
FROM lifecycle
WHERE experiment_id = {experiment:String}
ORDER BY seq
