-- Events not yet delivered to one sink, in per-experiment order. Parameters: {sink:String}, {limit:UInt32}.
SELECT id, experiment_id, ord, body
FROM notify_outbox FINAL
WHERE id NOT IN (SELECT event_id FROM notify_deliveries WHERE sink = {sink:String})
ORDER BY experiment_id, ord
LIMIT {limit:UInt32}
