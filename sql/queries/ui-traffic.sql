-- Units and events seen per experiment: the executive view's top experiments by
-- traffic. No parameters.
SELECT
    experiment_id,
    toUInt64(uniqExact(unit_id)) AS units,
    toUInt64(sum(events))        AS events
FROM unit_metrics
GROUP BY experiment_id
ORDER BY units DESC
