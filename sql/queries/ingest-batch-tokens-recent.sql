-- The batch tokens stored most recently (sql/migrations/0026_events_batch_token.sql), read once when
-- group commit starts so that a retry of a batch acknowledged before a restart is recognised.
-- Only rows that carry a token (a batch's first row) and were received since {since} are read.
-- Parameters: {since:Int64} (epoch ms), {limit:UInt32}.
SELECT batch_token AS token
FROM events
WHERE received_at >= fromUnixTimestamp64Milli({since:Int64}, 'UTC') AND batch_token != ''
ORDER BY received_at DESC
LIMIT {limit:UInt32}
