-- quantile-stats-base.sql as an increment (src/services/evaluate-incremental-quantile.ts, issue 16 item 3):
-- for every unit in the cycle's touched table ({touched:Identifier}, eval-touched-fill.sql: all events up to
-- {to_ms} of the units with an event received after the oldest held watermark <= {from_ms}) whose values in
-- an arm changed, the unit's values in that arm received <= {from_ms} ("old") and <= {to_ms} ("new"), each
-- sorted: the caller takes the old entries out of the held arm and puts the new ones in. A unit new to the
-- arm has no old values; a unit that switched variant is a row in each arm it has events in.
-- Parameters: those of quantile-stats-batch.sql ({levels} unused), {touched:Identifier}, {from_ms:Int64}, {to_ms:Int64}.
WITH
specs AS
(
    SELECT s.1 AS key, s.2 AS experiment_id, s.3 AS metric
    FROM (SELECT arrayJoin(arrayZip({keys:Array(UInt32)}, {experiments:Array(String)}, {metrics:Array(String)})) AS s)
),
per_unit AS
(
    SELECT experiment_id, metric, variant, unit_id,
        arraySort(groupArrayIf(value, received_at <= fromUnixTimestamp64Milli({from_ms:Int64}))) AS old_values,
        arraySort(groupArrayIf(value, received_at <= fromUnixTimestamp64Milli({to_ms:Int64}))) AS new_values
    FROM {touched:Identifier}
    WHERE experiment_id IN (SELECT experiment_id FROM specs) AND metric IN (SELECT metric FROM specs)
    GROUP BY experiment_id, metric, variant, unit_id
    HAVING old_values != new_values
)
SELECT s.key AS key, u.variant AS variant, u.old_values AS old_values, u.new_values AS new_values
FROM per_unit AS u
INNER JOIN specs AS s ON u.experiment_id = s.experiment_id AND u.metric = s.metric
