-- The upstream of each of a tick's paused experiments (auto-resume): the services that sent its
-- events before its pause at {since_ms}[i] (Unix ms). A paused experiment exposes no units, so its
-- own telemetry cannot show the source is back; these services' telemetry can
-- (upstream-telemetry-batch.sql). An experiment with no event before its pause has no row.
-- Parameters: {experiments:Array(String)}, {since_ms:Array(Int64)}.
SELECT
    toString(experiment_id)                     AS experiment_id,
    arraySort(groupUniqArray(toString(service))) AS services
FROM events
WHERE experiment_id IN {experiments:Array(String)}
  AND toUnixTimestamp64Milli(ts) < transform(toString(experiment_id), {experiments:Array(String)}, {since_ms:Array(Int64)}, toInt64(0))
GROUP BY experiment_id
