-- How many events (all experiments) have received_at <= {previous_ms}, read again now, and how many
-- <= {to_ms} (src/services/evaluate-incremental.ts). CUPED's held sums read covariate events under any
-- experiment, so the per-experiment check (events-received-upto-batch.sql) cannot see a late event of
-- another experiment in a unit's pre-period: the reader keeps this cycle's count <= {to_ms} and, when
-- the next cycle's count <= that watermark differs (events became visible behind it, or were deleted),
-- reads every CUPED spec from a base. Parameters: {previous_ms:Int64}, {to_ms:Int64}.
SELECT
    toUInt64(countIf(received_at <= fromUnixTimestamp64Milli({previous_ms:Int64}))) AS previous,
    toUInt64(countIf(received_at <= fromUnixTimestamp64Milli({to_ms:Int64})))       AS current
FROM events
