-- Fills the cycle's touched table (eval-touched-create.sql): every event received <= {to_ms} of each unit
-- id that has an event received in ({from_ms}, {to_ms}], under ANY experiment. By unit id, not by
-- (experiment, unit): CUPED's covariate reads a unit's events under other experiments, so a unit whose
-- only new event is elsewhere still moves. Each held pass then computes its touched units' aggregates as
-- of {from_ms} ("old") and {to_ms} ("new") from this small table: the two scans of events (which units,
-- then their events) are done once per cycle instead of once per pass. A superset of what a pass needs
-- is exact: a unit with no event in a pass's own window has old = new and adds nothing.
-- Parameters: {touched:Identifier}, {from_ms:Int64}, {to_ms:Int64}.
INSERT INTO {touched:Identifier}
SELECT experiment_id, metric, variant, unit_id, ts, value, received_at
FROM events
WHERE unit_id IN
    (
        SELECT DISTINCT unit_id FROM events
        WHERE received_at > fromUnixTimestamp64Milli({from_ms:Int64}) AND received_at <= fromUnixTimestamp64Milli({to_ms:Int64})
    )
  AND received_at <= fromUnixTimestamp64Milli({to_ms:Int64})
