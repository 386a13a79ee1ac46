-- First and last event time of an experiment (from the per-unit aggregates): the
-- exposure chart's time range. Parameters: {experiment:String}.
SELECT
    toUnixTimestamp64Milli(min(first_ts)) AS first_ms,
    toUnixTimestamp64Milli(max(last_ts))  AS last_ms
FROM unit_metrics
WHERE experiment_id = {experiment:String}
