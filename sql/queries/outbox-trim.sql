-- Retention (src/notify/outbox-retention.ts): removes outbox events created before {cutoff:Int64}
-- (epoch ms) that every configured sink in {sinks:String} (newline-separated) delivered or
-- skipped. Kept whatever their age: the newest event of each experiment (the ledger recovery
-- starts after it) and the newest alert-carrying event per (experiment, rule) (open alerts
-- are rebuilt from it). A command, so the two values are bound as checked literals.
DELETE FROM notify_outbox
WHERE created_at < fromUnixTimestamp64Milli({cutoff:Int64})
  AND id IN (
    SELECT event_id FROM notify_deliveries
    WHERE has(splitByChar('\n', {sinks:String}), sink)
    GROUP BY event_id
    HAVING uniqExact(sink) = length(splitByChar('\n', {sinks:String}))
  )
  AND id NOT IN (SELECT argMax(id, ord) FROM notify_outbox GROUP BY experiment_id)
  AND id NOT IN (
    SELECT argMax(id, ord) FROM notify_outbox
    WHERE JSONExtractString(body, 'alert', 'rule') != ''
    GROUP BY experiment_id, JSONExtractString(body, 'alert', 'rule')
  )
