-- Ledger entries since {from:Int64} (epoch ms) whose transition event (id tr-<experiment>-<seq>)
-- never reached the outbox: the process died between the ledger write and the outbox write.
SELECT experiment_id, seq
FROM lifecycle
WHERE at >= fromUnixTimestamp64Milli({from:Int64})
  AND concat('tr-', experiment_id, '-', toString(seq)) NOT IN (SELECT id FROM notify_outbox)
ORDER BY experiment_id, seq
