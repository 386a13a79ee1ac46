-- How many events each experiment has with received_at <= its watermark, read again now
-- (src/services/evaluate-incremental.ts). The incremental reader holds the same count as of the
-- watermark (variant-units' events, summed over variants); a larger count now means events became
-- visible after the watermark had passed their received_at (an insert slower than the grace, a
-- replayed journal), so that experiment's held sums are read again in full instead of missing them.
-- Parameters: {experiments:Array(String)}, {watermarks_ms:Array(Int64)} (index i for experiment i).
SELECT experiment_id, toUInt64(count()) AS events
FROM events
WHERE experiment_id IN {experiments:Array(String)}
  AND received_at <= fromUnixTimestamp64Milli(transform(experiment_id, {experiments:Array(String)}, {watermarks_ms:Array(Int64)}, toInt64(0)))
GROUP BY experiment_id
ORDER BY experiment_id
