-- Newest dead letters. Parameters: {limit:UInt32}.
SELECT toUnixTimestamp64Milli(received_at) AS received_ms, source, batch_id, line, position, experiment_id, raw, reason
FROM dead_letters
ORDER BY received_at DESC, batch_id, line
LIMIT {limit:UInt32}
