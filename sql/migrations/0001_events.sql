-- Raw telemetry, as accepted by ingest. Retried batches carry the same
-- insert_deduplication_token and are stored once (window below).
CREATE TABLE IF NOT EXISTS events
(
    event_id      String,
    ts            DateTime64(3, 'UTC'),
    experiment_id LowCardinality(String),
    variant       LowCardinality(String),
    unit_id       String,
    service       LowCardinality(String),
    metric        LowCardinality(String),
    value         Float64,
    attributes    Map(String, String),
    received_at   DateTime64(3, 'UTC')
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (experiment_id, metric, variant, unit_id, ts)
SETTINGS non_replicated_deduplication_window = 10000;

-- Every line ingest refused, with where it was and why: nothing is dropped silently.
CREATE TABLE IF NOT EXISTS dead_letters
(
    received_at   DateTime64(3, 'UTC'),
    source        LowCardinality(String),
    batch_id      String,
    line          UInt32,
    experiment_id String,
    raw           String,
    reason        String
)
ENGINE = MergeTree
ORDER BY (received_at, batch_id, line)
SETTINGS non_replicated_deduplication_window = 10000;
