-- Events of a journal segment already stored, for the events journal's recovery by key
-- (src/adapters/warehouse/events-journal.ts): a segment a killed process left, or whose insert
-- failed, may be in the warehouse in full, in part or not at all. Bounded by experiment and event
-- time as events-present.sql is. The key is experiment id and event id, joined by a NUL.
-- Parameters: {experiments:String} and {ids:String}, JSON arrays of experiment ids and event ids;
-- {fromMs:Int64} and {toMs:Int64}, the earliest and latest event time in the segment (epoch ms).
SELECT DISTINCT concat(experiment_id, char(0), event_id) AS key
FROM events
WHERE experiment_id IN (SELECT arrayJoin(JSONExtract({experiments:String}, 'Array(String)')))
  AND ts BETWEEN fromUnixTimestamp64Milli({fromMs:Int64}, 'UTC') AND fromUnixTimestamp64Milli({toMs:Int64}, 'UTC')
  AND event_id IN (SELECT arrayJoin(JSONExtract({ids:String}, 'Array(String)')))
