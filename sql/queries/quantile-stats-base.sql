-- quantile-stats-batch.sql's arms as of a watermark, held by the incremental reader and then moved by
-- quantile-stats-incremental.sql (src/services/evaluate-incremental-quantile.ts, issue 16 item 3): over
-- the events received <= {to_ms}, each arm (key, variant) as its units' values in entries (value, 2k − 1,
-- e): a unit with e values sorted w_1 <= … <= w_e gives w_k the weights 2k − 1 and e. Any q's below-q
-- sums then follow from the entries with value <= q: the unit's b = #(w_k <= q) gives Σ_{k<=b} (2k − 1) = b²
-- and Σ_{k<=b} e = b·e; the entries' count is Σ b. So the arm can be held sorted and exact, and q moved
-- freely. Entries come back sorted by (value, 2k − 1, e) as three arrays; units is the arm's unit count.
-- Split per unit as in the batch query (sorted (unit, value) pairs cut where the unit changes).
-- Parameters: those of quantile-stats-batch.sql ({levels} unused) and {to_ms:Int64}.
WITH
specs AS
(
    SELECT s.1 AS key, s.2 AS experiment_id, s.3 AS metric
    FROM (SELECT arrayJoin(arrayZip({keys:Array(UInt32)}, {experiments:Array(String)}, {metrics:Array(String)})) AS s)
),
arm AS
(
    SELECT experiment_id, metric, variant, arraySort(groupArray((unit_id, value))) AS pairs
    FROM events
    WHERE experiment_id IN (SELECT experiment_id FROM specs) AND metric IN (SELECT metric FROM specs)
      AND received_at <= fromUnixTimestamp64Milli({to_ms:Int64})
    GROUP BY experiment_id, metric, variant
),
split AS
(
    SELECT experiment_id, metric, variant,
        arrayMap(p -> p.1, pairs) AS us,
        arraySplit((v, u, p) -> u != p, arrayMap(p -> p.2, pairs), us, arrayPopBack(arrayPushFront(us, ''))) AS unit_values
    FROM arm
)
SELECT
    key,
    variant,
    toUInt64(length(unit_values)) AS units,
    arrayMap(t -> t.1, entries) AS entry_values,
    arrayMap(t -> t.2, entries) AS entry_squares,
    arrayMap(t -> t.3, entries) AS entry_events
FROM
(
    SELECT s.key AS key, a.variant AS variant, a.unit_values AS unit_values,
        -- each unit's values are in order already (the pairs are sorted by unit, then value)
        arraySort(arrayFlatten(arrayMap(u -> arrayMap((x, k) -> (x, toFloat64(2 * k - 1), toFloat64(length(u))), u, arrayEnumerate(u)), a.unit_values))) AS entries
    FROM split AS a
    INNER JOIN specs AS s ON a.experiment_id = s.experiment_id AND a.metric = s.metric
)
ORDER BY key, variant
