-- How many events the outbox holds and when the oldest was created (bounds the ledger recovery). No parameters.
SELECT count() AS n, toUnixTimestamp64Milli(min(created_at)) AS first_ms
FROM notify_outbox
