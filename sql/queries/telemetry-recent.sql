-- Telemetry of one experiment since a moment (auto-resume after a telemetry pause):
-- the first and newest event time and the count. Parameters: {experiment:String}, {since:DateTime64(3)}.
SELECT
    toUnixTimestamp64Milli(min(ts)) AS first_event_ms,
    toUnixTimestamp64Milli(max(ts)) AS last_event_ms,
    toUInt64(count())               AS events
FROM events
WHERE experiment_id = {experiment:String} AND ts >= {since:DateTime64(3)}
