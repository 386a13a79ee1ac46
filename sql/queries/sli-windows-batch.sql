-- sli-windows.sql for many SLO specs in one pass (src/services/evaluate-batch.ts), all windows
-- ending at {now_ms:Int64}. Spec i is ({keys}[i], {experiments}[i], {metrics}[i], {has_max}[i],
-- {max}[i], {has_min}[i], {min}[i]); rows come back per key and variant. The filter (experiment IN,
-- metric IN) is a superset of the specs' pairs, made exact by the join: cheaper than a tuple IN per row.
WITH specs AS
(
    SELECT s.1 AS key, s.2 AS experiment_id, s.3 AS metric, s.4 AS has_max, s.5 AS max, s.6 AS has_min, s.7 AS min
    FROM (SELECT arrayJoin(arrayZip({keys:Array(UInt32)}, {experiments:Array(String)}, {metrics:Array(String)}, {has_max:Array(UInt8)}, {max:Array(Float64)}, {has_min:Array(UInt8)}, {min:Array(Float64)})) AS s)
)
SELECT
    key,
    variant,
    toUInt64(countIf(ts > fromUnixTimestamp64Milli({now_ms:Int64} - 300000)))                  AS total_5m,
    toUInt64(countIf(bad AND ts > fromUnixTimestamp64Milli({now_ms:Int64} - 300000)))          AS bad_5m,
    toUInt64(countIf(ts > fromUnixTimestamp64Milli({now_ms:Int64} - 1800000)))                 AS total_30m,
    toUInt64(countIf(bad AND ts > fromUnixTimestamp64Milli({now_ms:Int64} - 1800000)))         AS bad_30m,
    toUInt64(countIf(ts > fromUnixTimestamp64Milli({now_ms:Int64} - 3600000)))                 AS total_1h,
    toUInt64(countIf(bad AND ts > fromUnixTimestamp64Milli({now_ms:Int64} - 3600000)))         AS bad_1h,
    toUInt64(count())                                                                          AS total_6h,
    toUInt64(countIf(bad))                                                                     AS bad_6h
FROM
(
    SELECT s.key AS key, e.variant AS variant, e.ts AS ts, (s.has_max = 1 AND e.value > s.max) OR (s.has_min = 1 AND e.value < s.min) AS bad
    FROM events AS e
    INNER JOIN specs AS s ON e.experiment_id = s.experiment_id AND e.metric = s.metric
    WHERE e.experiment_id IN (SELECT experiment_id FROM specs) AND e.metric IN (SELECT metric FROM specs)
      AND e.ts > fromUnixTimestamp64Milli({now_ms:Int64} - 21600000)
      AND e.ts <= fromUnixTimestamp64Milli({now_ms:Int64})
)
GROUP BY key, variant
ORDER BY key, variant
