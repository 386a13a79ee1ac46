-- Chain heads of these experiments already stored, for the journal's recovery
-- by key (src/adapters/warehouse/journal-recovery.ts). Parameters: {ids:String}, a JSON array of experiment ids.
SELECT concat(experiment_id, '/', toString(seq)) AS key
FROM ledger_heads
WHERE has(JSONExtract({ids:String}, 'Array(String)'), experiment_id)
