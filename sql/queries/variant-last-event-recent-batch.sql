-- The newest event time per (experiment, variant) among events received after {from_ms}: the
-- incremental reader's sums stop at now − grace (src/services/evaluate-incremental.ts), but telemetry
-- freshness (NO_TELEMETRY, TELEMETRY_STALE in decide()) must see every visible event, or an
-- experiment whose staleAfter is close to the grace is paused with telemetry arriving. The caller keeps
-- the larger of this and what it holds; a variant seen only here is a row with no units.
-- Parameters: {experiments:Array(String)}, {from_ms:Int64}.
SELECT experiment_id, variant, toUnixTimestamp64Milli(max(ts)) AS last_event_ms
FROM events
WHERE experiment_id IN {experiments:Array(String)}
  AND received_at > fromUnixTimestamp64Milli({from_ms:Int64})
GROUP BY experiment_id, variant
ORDER BY experiment_id, variant
