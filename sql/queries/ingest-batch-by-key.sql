-- The batch an Idempotency-Key was first used for (ingest_batches, migration 0010).
-- Parameters: {key:String} (the key's hash).
SELECT body_hash, batch_id, accepted, rejected, masked, dropped, errors
FROM ingest_batches FINAL
WHERE key_hash = {key:String}
LIMIT 1
