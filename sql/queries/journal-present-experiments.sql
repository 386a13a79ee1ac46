-- Spec revisions of these experiments already stored, for the journal's recovery
-- by key (src/adapters/warehouse/journal-recovery.ts). Parameters: {ids:String}, a JSON array of experiment ids.
SELECT concat(id, '/', toString(revision)) AS key
FROM experiments
WHERE has(JSONExtract({ids:String}, 'Array(String)'), id)
