-- Masking counters of these batches already stored, for the events journal's recovery by key
-- (src/adapters/warehouse/events-journal.ts). The key is batch id and experiment id, joined by a NUL.
-- Parameters: {ids:String}, a JSON array of batch ids.
SELECT DISTINCT concat(batch_id, char(0), experiment_id) AS key
FROM ingest_masking
WHERE batch_id IN (SELECT arrayJoin(JSONExtract({ids:String}, 'Array(String)')))
