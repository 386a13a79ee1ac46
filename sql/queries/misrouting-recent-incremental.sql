-- misrouting-recent-base.sql as an increment (src/services/evaluate-incremental-recent.ts): for every
-- (experiment, unit) of the cycle's touched table ({touched:Identifier}, eval-touched-fill.sql) whose
-- (t1, t2, g1) differ between its events received <= {from_ms} ("old") and <= {to_ms} ("new"), both, over
-- all its events (no ts bound: the caller keeps only rows with t1 at or after its window start, and treats
-- every t2 below it as one). has_old = 0: the unit had no event then.
-- Parameters: those of misrouting-recent-batch.sql except {since}, and {touched:Identifier}, {from_ms:Int64}, {to_ms:Int64}.
WITH
per_variant AS
(
    SELECT experiment_id, unit_id, toString(variant) AS variant,
        countIf(received_at <= fromUnixTimestamp64Milli({from_ms:Int64})) > 0 AS seen_old,
        toUnixTimestamp64Milli(maxIf(ts, received_at <= fromUnixTimestamp64Milli({from_ms:Int64}))) AS last_old,
        countIf(received_at <= fromUnixTimestamp64Milli({to_ms:Int64})) > 0 AS seen_new,
        toUnixTimestamp64Milli(maxIf(ts, received_at <= fromUnixTimestamp64Milli({to_ms:Int64}))) AS last_new
    FROM {touched:Identifier}
    WHERE experiment_id IN {experiments:Array(String)}
    GROUP BY experiment_id, unit_id, variant
),
logged AS
(
    SELECT experiment_id, unit_id,
        arrayReverseSort(groupArrayIf((last_old, variant), seen_old)) AS lo,
        arrayReverseSort(groupArrayIf((last_new, variant), seen_new)) AS ln,
        length(lo) > 0 AS has_old, lo[1].1 AS t1_old, if(length(lo) > 1, lo[2].1, toInt64(0)) AS t2_old, lo[1].2 AS v_old,
        length(ln) > 0 AS has_new, ln[1].1 AS t1_new, if(length(ln) > 1, ln[2].1, toInt64(0)) AS t2_new, ln[1].2 AS v_new
    FROM per_variant
    GROUP BY experiment_id, unit_id
),
gated AS
(
    SELECT
        toString(experiment_id) AS experiment_id, has_old, t1_old, t2_old, v_old, has_new, t1_new, t2_new, v_new,
        -- include: misrouting-gate-columns
    FROM logged
),
checked AS
(
    SELECT experiment_id, toUInt8(has_old) AS has_old, t1_old, t2_old, toUInt8(has_new) AS has_new, t1_new, t2_new,
        toUInt8(exposed = 0
            OR variant_bucket < transform(concat(prefix, v_old), {variant_keys:Array(String)}, {variant_lo:Array(Int64)}, toInt64(1))
            OR variant_bucket >= transform(concat(prefix, v_old), {variant_keys:Array(String)}, {variant_hi:Array(Int64)}, toInt64(0))) AS g1_old,
        toUInt8(exposed = 0
            OR variant_bucket < transform(concat(prefix, v_new), {variant_keys:Array(String)}, {variant_lo:Array(Int64)}, toInt64(1))
            OR variant_bucket >= transform(concat(prefix, v_new), {variant_keys:Array(String)}, {variant_hi:Array(Int64)}, toInt64(0))) AS g1_new
    FROM gated
)
SELECT experiment_id, has_old, t1_old, t2_old, g1_old, has_new, t1_new, t2_new, g1_new
FROM checked
WHERE (has_old, t1_old, t2_old, g1_old) != (has_new, t1_new, t2_new, g1_new)
