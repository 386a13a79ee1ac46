-- Group commit (issue 16 item 2, src/adapters/warehouse/insert-coalescer.ts) writes many batches as
-- one insert under one deduplication token, so the engine knows only the group. Each batch's own
-- token now travels with its rows: the first row of every batch carries it in batch_token (empty on
-- every other row, so the column costs next to nothing). It is written inside the same events part as
-- the rows, so a token is stored exactly when its rows are: no window between two writes. After a
-- restart the coalescer reads the recent tokens back (sql/queries/ingest-batch-tokens-recent.sql), and
-- a retried batch is stored once whether it first went alone or inside a group.
ALTER TABLE events ADD COLUMN IF NOT EXISTS batch_token String DEFAULT '';

-- The input table's column for it: "g" on a batch's first line (the scanner refuses unknown keys, so
-- a client's own line never carries it).
ALTER TABLE events_in ADD COLUMN IF NOT EXISTS g String DEFAULT '';

-- The view gains the token in place (MODIFY QUERY is one metadata change): dropping and recreating it
-- would leave a moment in which an insert into the Null table events_in, from another runway process
-- on a shared server, reaches no table and is lost.
ALTER TABLE events_in_mv MODIFY QUERY
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
    fromUnixTimestamp64Milli(r, 'UTC')       AS received_at,
    g                                        AS batch_token
FROM events_in;
