-- Dead letters of these batches already stored, for the events journal's recovery by key
-- (src/adapters/warehouse/events-journal.ts). The key is batch id and position, joined by a NUL.
-- Parameters: {ids:String}, a JSON array of batch ids.
SELECT DISTINCT concat(batch_id, char(0), toString(position)) AS key
FROM dead_letters
WHERE batch_id IN (SELECT arrayJoin(JSONExtract({ids:String}, 'Array(String)')))
