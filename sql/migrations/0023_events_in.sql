-- The usual telemetry line, as services send it, written straight into events (issue 16).
-- Ingest validates each line in JS but no longer rewrites an accepted one: the line itself
-- (with its batch's receive time put in front as "r") goes into this Null table, and the view
-- below turns it into the events row inside the same insert. The events part, its projections
-- (unit_agg, sli_minute) and the dedup token (deduplicate_blocks_in_dependent_materialized_views)
-- are as for a direct insert. Ingest writes lines of its own, in this same shape, for events it
-- rewrote (masked attributes, ISO times, numbers the engine might read differently): see
-- src/domain/telemetry-scan.ts. A missing `service` arrives empty ("unknown", as the schema's
-- default), a missing `outcome` false and a missing `value` 0, so value + outcome is the row's value.
CREATE TABLE IF NOT EXISTS events_in
(
    r            Int64,
    eventId      String,
    ts           Int64,
    experimentId String,
    variant      String,
    unitId       String,
    service      String,
    metric       String,
    value        Float64,
    outcome      Bool,
    attributes   Map(String, String)
)
ENGINE = Null;

CREATE MATERIALIZED VIEW IF NOT EXISTS events_in_mv TO events AS
SELECT
    eventId                                  AS event_id,
    fromUnixTimestamp64Milli(ts, 'UTC')      AS ts,
    experimentId                             AS experiment_id,
    variant,
    unitId                                   AS unit_id,
    if(service = '', 'unknown', service)     AS service,
    metric,
    value + outcome                          AS value,
    attributes,
    fromUnixTimestamp64Milli(r, 'UTC')       AS received_at
FROM events_in;
