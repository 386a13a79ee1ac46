-- Events of a Kafka range that are already stored, for the telemetry consumer's recovery
-- by event id (src/adapters/bus/telemetry-recovery.ts). Bounded by experiment (first column
-- of the sort key) and event time (partitions, and the sort key within each) so only the
-- granules that can hold the range are read.
-- Parameters: {experiments:String} and {ids:String}, JSON arrays of experiment ids and event ids;
-- {fromMs:Int64} and {toMs:Int64}, the earliest and latest event time in the range (epoch ms).
SELECT DISTINCT experiment_id, event_id
FROM events
WHERE experiment_id IN (SELECT arrayJoin(JSONExtract({experiments:String}, 'Array(String)')))
  AND ts BETWEEN fromUnixTimestamp64Milli({fromMs:Int64}, 'UTC') AND fromUnixTimestamp64Milli({toMs:Int64}, 'UTC')
  AND event_id IN (SELECT arrayJoin(JSONExtract({ids:String}, 'Array(String)')))
