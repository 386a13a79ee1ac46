-- Telemetry of a tick's telemetry-paused experiments since each one's pause (auto-resume), in one
-- pass for all of them: per experiment, the first and newest event time at or after its own pause
-- and the count. One query per tick, not one per paused experiment (each was ~15 ms of fixed cost,
-- times every paused experiment, times every tick). Experiment i was paused at {since_ms}[i] (Unix
-- ms); {min_since_ms} is the smallest, so the scan can skip older events. An experiment with no
-- event since its pause has no row.
-- Parameters: {experiments:Array(String)}, {since_ms:Array(Int64)}, {min_since_ms:Int64}.
SELECT
    toString(experiment_id)         AS experiment_id,
    toUnixTimestamp64Milli(min(ts)) AS first_event_ms,
    toUnixTimestamp64Milli(max(ts)) AS last_event_ms,
    toUInt64(count())               AS events
FROM events
WHERE experiment_id IN {experiments:Array(String)}
  AND ts >= fromUnixTimestamp64Milli({min_since_ms:Int64}, 'UTC')
  AND toUnixTimestamp64Milli(ts) >= transform(toString(experiment_id), {experiments:Array(String)}, {since_ms:Array(Int64)}, toInt64(9223372036854775807))
GROUP BY experiment_id
