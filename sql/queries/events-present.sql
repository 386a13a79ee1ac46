-- Events already stored, by experiment and event id: for the telemetry consumer's recovery of a
-- Kafka range (src/adapters/bus/telemetry-recovery.ts), a group-commit retry (ingest-group-tokens.ts)
-- and the events journal's recovery by key (events-journal.ts, which reads `key`). Bounded by experiment (first column
-- of the sort key) and event time (partitions, and the sort key within each) so only the
-- granules that can hold the range are read.
-- Parameters: {experiments:String} and {ids:String}, JSON arrays of experiment ids and event ids;
-- {fromMs:Int64} and {toMs:Int64}, the earliest and latest event time in the range (epoch ms),
-- as built by eventsPresentParams (src/adapters/warehouse/events-present.ts).
SELECT DISTINCT experiment_id, event_id, concat(experiment_id, char(0), event_id) AS key
FROM events
WHERE experiment_id IN (SELECT arrayJoin(JSONExtract({experiments:String}, 'Array(String)')))
  AND ts BETWEEN fromUnixTimestamp64Milli({fromMs:Int64}, 'UTC') AND fromUnixTimestamp64Milli({toMs:Int64}, 'UTC')
  AND event_id IN (SELECT arrayJoin(JSONExtract({ids:String}, 'Array(String)')))
