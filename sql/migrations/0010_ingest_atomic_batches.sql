-- A batch lands in events and in the per-unit aggregates together or not at all.
-- Until now the aggregates were a materialized view writing its own table: on a
-- full disk the events part could commit while the view's part failed (68,000
-- rows against 67,000 until a retry). A projection is written inside each events
-- part, so a part and its aggregates commit as one (proven on a full tmpfs by
-- test/integration/ingest-full-disk.test.ts). unit_metrics becomes a plain view
-- over events with the same columns, which the engine answers from the projection.
ALTER TABLE events ADD PROJECTION IF NOT EXISTS unit_agg
(
    SELECT experiment_id, metric, variant, unit_id, count(), sum(value), min(ts), max(ts)
    GROUP BY experiment_id, metric, variant, unit_id
);

-- Parts written before this migration get the projection in the background (until then they are read whole).
ALTER TABLE events MATERIALIZE PROJECTION unit_agg;

DROP VIEW IF EXISTS unit_metrics_mv;

DROP TABLE IF EXISTS unit_metrics;

CREATE VIEW IF NOT EXISTS unit_metrics AS
SELECT
    experiment_id,
    metric,
    variant,
    unit_id,
    toUInt64(count()) AS events,
    sum(value)        AS total,
    min(ts)           AS first_ts,
    max(ts)           AS last_ts
FROM events
GROUP BY experiment_id, metric, variant, unit_id;

-- Idempotency keys of HTTP batches: the body each key was first used with, and
-- the answer given. A key reused with another body is refused (409); the same
-- body again gets the recorded answer and is not stored twice, even after the
-- engine's deduplication window. Written only after the batch's inserts returned.
-- Kept 30 days by the server's wall clock (recorded_at), not by the event clock.
CREATE TABLE IF NOT EXISTS ingest_batches
(
    key_hash    String,
    body_hash   String,
    batch_id    String,
    received_at DateTime64(3, 'UTC'),
    accepted    UInt32,
    rejected    UInt32,
    masked      UInt32,
    dropped     UInt32,
    errors      String,
    recorded_at DateTime DEFAULT now()
)
ENGINE = ReplacingMergeTree
ORDER BY key_hash
TTL recorded_at + INTERVAL 30 DAY
SETTINGS non_replicated_deduplication_window = 10000;
