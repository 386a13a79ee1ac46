-- Misrouting's recent window held per unit (src/services/evaluate-incremental-recent.ts, issue 16 item 3):
-- for each (experiment, unit) with an event since {since} received <= {to_ms}, the rule of
-- misrouting-recent-batch.sql reduced to three numbers that any later window start s >= {since} can be
-- judged on: t1 = the latest ts of any of its variants, t2 = the latest ts of any other variant than that
-- one (0 when none), g1 = whether the gate misroutes the unit under t1's variant. At s the unit is in the
-- window iff t1 >= s, and misrouted iff also t2 >= s (two variants since s) or g1. Variants whose events are
-- all before {since} are left out: their last ts is below every later s. Rows per experiment, sorted by t1.
-- Parameters: those of misrouting-recent-batch.sql and {to_ms:Int64}.
WITH
per_variant AS
(
    SELECT experiment_id, unit_id, toString(variant) AS variant, toUnixTimestamp64Milli(max(ts)) AS last
    FROM events
    WHERE experiment_id IN {experiments:Array(String)} AND ts >= {since:DateTime64(3)}
      AND received_at <= fromUnixTimestamp64Milli({to_ms:Int64})
    GROUP BY experiment_id, unit_id, variant
),
logged AS
(
    SELECT experiment_id, unit_id, arrayReverseSort(groupArray((last, variant))) AS lv,
        lv[1].1 AS t1, if(length(lv) > 1, lv[2].1, toInt64(0)) AS t2, lv[1].2 AS first_variant
    FROM per_variant
    GROUP BY experiment_id, unit_id
),
gated AS
(
    SELECT
        toString(experiment_id) AS experiment_id, t1, t2, first_variant,
        -- include: misrouting-gate-columns
    FROM logged
)
SELECT
    experiment_id,
    arraySort(x -> x.1, groupArray((t1, t2, toUInt8(exposed = 0
        OR variant_bucket < transform(concat(prefix, first_variant), {variant_keys:Array(String)}, {variant_lo:Array(Int64)}, toInt64(1))
        OR variant_bucket >= transform(concat(prefix, first_variant), {variant_keys:Array(String)}, {variant_hi:Array(Int64)}, toInt64(0)))))) AS rows,
    arrayMap(r -> r.1, rows) AS t1s,
    arrayMap(r -> r.2, rows) AS t2s,
    arrayMap(r -> r.3, rows) AS g1s
FROM gated
GROUP BY experiment_id
