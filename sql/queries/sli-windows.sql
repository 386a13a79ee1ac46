-- Event-level SLO counts per variant over the burn-rule windows ending at {now_ms:Int64}:
-- (now − 5m, now], (now − 30m, now], (now − 1h, now], (now − 6h, now]. An event is bad when
-- its value is above {max:Float64} (if {has_max:UInt8}) or below {min:Float64} (if {has_min:UInt8}).
-- Thresholds come from the spec, so the counts read raw events (the primary key prunes to the
-- experiment and metric; 6 hours at most).
SELECT
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
    SELECT variant, ts, ({has_max:UInt8} = 1 AND value > {max:Float64}) OR ({has_min:UInt8} = 1 AND value < {min:Float64}) AS bad
    FROM events
    WHERE experiment_id = {experiment:String}
      AND metric = {metric:String}
      AND ts > fromUnixTimestamp64Milli({now_ms:Int64} - 21600000)
      AND ts <= fromUnixTimestamp64Milli({now_ms:Int64})
)
GROUP BY variant
ORDER BY variant
