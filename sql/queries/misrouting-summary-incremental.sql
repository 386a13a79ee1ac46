-- The cumulative counts of misrouting-summary-batch.sql as an increment (src/services/evaluate-incremental.ts,
-- issue 16 item 3): for every unit of the cycle's touched table ({touched:Identifier},
-- eval-touched-fill.sql), whether it was logged and misrouted over its events received <= {from_ms}
-- ("old") and <= {to_ms} ("new"); the caller adds new − old to the units and misrouted it holds per
-- experiment. A unit's misrouting is a function of its logged variants (min, max) and of its id under the
-- experiment's assignment (exposed, variant bucket): the assignment is part of what the caller holds the
-- counts under, so a ramp or reallocation reads a new base. The recent-window counts are not here
-- (misrouting-recent-batch.sql): a unit leaves the window as time passes without any new event.
-- Parameters: those of misrouting-summary-batch.sql except {since}, and {touched:Identifier}, {from_ms:Int64}, {to_ms:Int64}.
WITH
logged AS
(
    SELECT
        experiment_id,
        unit_id,
        countIf(received_at <= fromUnixTimestamp64Milli({from_ms:Int64}))                    AS events_old,
        toString(minIf(variant, received_at <= fromUnixTimestamp64Milli({from_ms:Int64})))   AS first_old,
        toString(maxIf(variant, received_at <= fromUnixTimestamp64Milli({from_ms:Int64})))   AS last_old,
        countIf(received_at <= fromUnixTimestamp64Milli({to_ms:Int64}))                      AS events_new,
        toString(minIf(variant, received_at <= fromUnixTimestamp64Milli({to_ms:Int64})))     AS first_new,
        toString(maxIf(variant, received_at <= fromUnixTimestamp64Milli({to_ms:Int64})))     AS last_new
    FROM {touched:Identifier}
    WHERE experiment_id IN {experiments:Array(String)}
    GROUP BY experiment_id, unit_id
),
gated AS
(
    SELECT
        toString(experiment_id) AS experiment_id,
        events_old, first_old, last_old, events_new, first_new, last_new,
        -- include: misrouting-gate-columns
    FROM logged
),
checked AS
(
    SELECT
        experiment_id, events_old, events_new,
        first_old != last_old OR exposed = 0
            OR variant_bucket < transform(concat(prefix, first_old), {variant_keys:Array(String)}, {variant_lo:Array(Int64)}, toInt64(1))
            OR variant_bucket >= transform(concat(prefix, first_old), {variant_keys:Array(String)}, {variant_hi:Array(Int64)}, toInt64(0)) AS misrouted_old,
        first_new != last_new OR exposed = 0
            OR variant_bucket < transform(concat(prefix, first_new), {variant_keys:Array(String)}, {variant_lo:Array(Int64)}, toInt64(1))
            OR variant_bucket >= transform(concat(prefix, first_new), {variant_keys:Array(String)}, {variant_hi:Array(Int64)}, toInt64(0)) AS misrouted_new
    FROM gated
)
SELECT
    experiment_id,
    toUInt64(countIf(events_old > 0)) AS units_old,
    toUInt64(countIf(events_new > 0)) AS units_new,
    toUInt64(countIf(events_old > 0 AND misrouted_old)) AS misrouted_old,
    toUInt64(countIf(events_new > 0 AND misrouted_new)) AS misrouted_new
FROM checked
GROUP BY experiment_id
ORDER BY experiment_id
