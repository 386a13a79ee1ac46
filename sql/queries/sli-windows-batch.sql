-- sli-windows.sql for many SLO specs in one pass (src/services/evaluate-batch.ts), all windows
-- ending at {now_ms:Int64}. Spec i is ({keys}[i], {experiments}[i], {metrics}[i], {has_max}[i],
-- {max}[i], {has_min}[i], {min}[i]); rows come back per key and variant. The filter (experiment IN,
-- metric IN) is a superset of the specs' pairs, made exact by the join: cheaper than a tuple IN per row.
-- Each arm (experiment, metric, variant) collects its events' window (0: last 5 min, 1: 30 min,
-- 2: 1 h, 3: 6 h) and value once, and the join to specs is per arm, not per event: a spec's bad
-- events are counted over its arm's arrays. Was a join of every event to its specs, then GROUP BY
-- key, variant: 1.3 CPU-s at 10M events against 0.75-0.82 now, same rows (bench/README.md, 2026-12-03
-- third pass; the scan itself is 0.5-0.6). No index can narrow it on ts: the 6 h window is nearly all
-- of a running experiment's events and the sort key does not lead with ts.
WITH specs AS
(
    SELECT s.1 AS key, s.2 AS experiment_id, s.3 AS metric, s.4 AS has_max, s.5 AS max, s.6 AS has_min, s.7 AS min
    FROM (SELECT arrayJoin(arrayZip({keys:Array(UInt32)}, {experiments:Array(String)}, {metrics:Array(String)}, {has_max:Array(UInt8)}, {max:Array(Float64)}, {has_min:Array(UInt8)}, {min:Array(Float64)})) AS s)
),
arm AS
(
    SELECT
        experiment_id, metric, variant,
        groupArray(toUInt8(multiIf(ts > fromUnixTimestamp64Milli({now_ms:Int64} - 300000), 0, ts > fromUnixTimestamp64Milli({now_ms:Int64} - 1800000), 1, ts > fromUnixTimestamp64Milli({now_ms:Int64} - 3600000), 2, 3))) AS windows,
        groupArray(value) AS vals
    FROM events
    WHERE experiment_id IN (SELECT experiment_id FROM specs) AND metric IN (SELECT metric FROM specs)
      AND ts > fromUnixTimestamp64Milli({now_ms:Int64} - 21600000)
      AND ts <= fromUnixTimestamp64Milli({now_ms:Int64})
    GROUP BY experiment_id, metric, variant
)
SELECT
    key,
    variant,
    toUInt64(arrayCount(w -> w = 0, windows))                             AS total_5m,
    toUInt64(arrayCount((b, w) -> b AND w = 0, bads, windows))            AS bad_5m,
    toUInt64(arrayCount(w -> w <= 1, windows))                            AS total_30m,
    toUInt64(arrayCount((b, w) -> b AND w <= 1, bads, windows))           AS bad_30m,
    toUInt64(arrayCount(w -> w <= 2, windows))                            AS total_1h,
    toUInt64(arrayCount((b, w) -> b AND w <= 2, bads, windows))           AS bad_1h,
    toUInt64(length(windows))                                             AS total_6h,
    toUInt64(arrayCount(b -> b, bads))                                    AS bad_6h
FROM
(
    SELECT s.key AS key, a.variant AS variant, a.windows AS windows,
        arrayMap(v -> (s.has_max = 1 AND v > s.max) OR (s.has_min = 1 AND v < s.min), a.vals) AS bads
    FROM arm AS a
    INNER JOIN specs AS s ON a.experiment_id = s.experiment_id AND a.metric = s.metric
)
ORDER BY key, variant
-- engine-settings: optimize_aggregation_in_order = 1
