-- First and last event time of an experiment: the exposure chart's time range.
-- Parameters: {experiment:String}. min/max(ts) over events (answered from the unit_agg
-- projection or the primary key), equal to min(first_ts)/max(last_ts) of unit_metrics.
SELECT
    toUnixTimestamp64Milli(min(ts)) AS first_ms,
    toUnixTimestamp64Milli(max(ts)) AS last_ms
FROM events
WHERE experiment_id = {experiment:String}
