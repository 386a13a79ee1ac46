-- SLI series of one event metric: minutes rolled up to buckets of {bucket_seconds:UInt32}
-- (0: one bucket for the whole range) over minutes in [{from_ms:Int64}, {to_ms:Int64}).
-- Answered from the sli_minute projection (sql/migrations/0014_sli_minutes.sql): the GROUP BY and
-- the aggregates are the projection's, so no raw event is read. p50..p99 merge t-digest states.
SELECT
    variant,
    toUnixTimestamp64Milli(toDateTime64(if({bucket_seconds:UInt32} = 0, fromUnixTimestamp64Milli({from_ms:Int64}), toStartOfInterval(toStartOfMinute(ts), toIntervalSecond({bucket_seconds:UInt32}))), 3)) AS bucket_ms,
    toUInt64(count())                                  AS events,
    sum(value)                                         AS sum,
    sum(value * value)                                 AS sum_squares,
    quantilesTDigest(0.5, 0.9, 0.95, 0.99)(value)      AS quantiles,
    toUnixTimestamp64Milli(max(received_at))           AS last_received_ms
FROM events
WHERE experiment_id = {experiment:String}
  AND metric = {metric:String}
  AND toStartOfMinute(ts) >= toStartOfMinute(fromUnixTimestamp64Milli({from_ms:Int64}))
  AND toStartOfMinute(ts) < fromUnixTimestamp64Milli({to_ms:Int64})
GROUP BY variant, bucket_ms
ORDER BY bucket_ms, variant
