-- The incremental reader's two exactness checks in one scan of (experiment_id, received_at) per cycle
-- (src/services/evaluate-incremental.ts; they were two queries, events-received-upto-batch.sql and
-- -all.sql, each scanning received_at of every event). Per experiment of events:
-- - held: its events with received_at <= its own watermark ({watermarks_ms}[i] for {experiments}[i];
--   experiments not held get 0, i.e. epoch, and are ignored by the reader). The reader holds the same
--   count as of the watermark; a larger count now means events became visible behind it (dropLate).
-- - previous / current: its events with received_at <= {previous_ms} and <= {to_ms}. Summed over all
--   experiments they are CUPED's check (its covariates read events of any experiment): the total
--   <= the last watermark read again, and this cycle's total to compare next cycle (dropLateCuped).
-- transform is a hash lookup built once (indexOf per row on a 1,000-element array is linear).
SELECT
    experiment_id,
    toUInt64(countIf(received_at <= fromUnixTimestamp64Milli(transform(experiment_id, {experiments:Array(String)}, {watermarks_ms:Array(Int64)}, toInt64(0))))) AS held,
    toUInt64(countIf(received_at <= fromUnixTimestamp64Milli({previous_ms:Int64})))                                                                          AS previous,
    toUInt64(countIf(received_at <= fromUnixTimestamp64Milli({to_ms:Int64})))                                                                                AS current
FROM events
GROUP BY experiment_id
-- engine-settings: optimize_aggregation_in_order = 1
