-- Retention: delivery records older than {cutoff:Int64} (epoch ms) whose event left the outbox.
DELETE FROM notify_deliveries
WHERE delivered_at < fromUnixTimestamp64Milli({cutoff:Int64})
  AND event_id NOT IN (SELECT id FROM notify_outbox)
