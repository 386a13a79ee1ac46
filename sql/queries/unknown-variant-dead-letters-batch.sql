-- unknown-variant-dead-letters.sql for many experiments in one pass (src/services/evaluate-batch.ts);
-- an experiment without such dead letters has no row. Parameters: {experiments:Array(String)}, {since:DateTime64(3)}
-- (the misrouting recent window: units whose line was dead-lettered since then count in it).
SELECT
    experiment_id,
    toUInt64(count())                                                         AS events,
    toUInt64(uniqExact(JSONExtractString(raw, 'unitId')))                     AS units,
    toUInt64(uniqExactIf(JSONExtractString(raw, 'unitId'), received_at >= {since:DateTime64(3)})) AS recent_units,
    arraySlice(arraySort(groupUniqArray(JSONExtractString(raw, 'variant'))), 1, 10) AS variants
FROM dead_letters
WHERE experiment_id IN {experiments:Array(String)} AND position(reason, 'has no variant') > 0
GROUP BY experiment_id
