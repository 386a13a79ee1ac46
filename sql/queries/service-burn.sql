-- A service's error-indicator events in the error-budget gate's two windows, both ending
-- at {now_ms}: an event is bad when its value is above 0 (outcome true). Feeds burn rates.
-- Parameters: {service:String}, {metric:String}, {now_ms:Int64}, {long_ms:Int64}, {short_ms:Int64}.
SELECT
    toUInt64(countIf(value > 0))                                                                AS long_bad,
    toUInt64(count())                                                                           AS long_total,
    toUInt64(countIf(value > 0 AND ts > fromUnixTimestamp64Milli({now_ms:Int64} - {short_ms:Int64}))) AS short_bad,
    toUInt64(countIf(ts > fromUnixTimestamp64Milli({now_ms:Int64} - {short_ms:Int64})))          AS short_total
FROM events
WHERE service = {service:String}
  AND metric = {metric:String}
  AND ts > fromUnixTimestamp64Milli({now_ms:Int64} - greatest({long_ms:Int64}, {short_ms:Int64}))
  AND ts <= fromUnixTimestamp64Milli({now_ms:Int64})
