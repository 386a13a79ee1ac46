-- The newest revision of every enqueued spec. No parameters.
SELECT id, revision, spec, toUnixTimestamp64Milli(enqueued_at) AS enqueued_ms
FROM experiments FINAL
ORDER BY id
