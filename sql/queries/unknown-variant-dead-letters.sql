-- Telemetry of one experiment dead-lettered because it names a variant the experiment does not
-- have (src/services/ingest.ts: `has no variant`): it counts toward the experiment's misrouting,
-- and the reason names the variants (at most 10, sorted; a bad line may lack the field: '').
-- Parameters: {experiment:String}.
SELECT
    toUInt64(count())                                                         AS events,
    toUInt64(uniqExact(JSONExtractString(raw, 'unitId')))                     AS units,
    arraySlice(arraySort(groupUniqArray(JSONExtractString(raw, 'variant'))), 1, 10) AS variants
FROM dead_letters
WHERE experiment_id = {experiment:String} AND position(reason, 'has no variant') > 0
