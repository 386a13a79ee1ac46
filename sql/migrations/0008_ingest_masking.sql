-- How much ingest masked and dropped, per batch and experiment: attribute values masked
-- as PII and attributes dropped for not being on the namespace's allow-list. Only the
-- counts are kept, never the values. Rows only for batches that masked or dropped something.
CREATE TABLE IF NOT EXISTS ingest_masking
(
    received_at   DateTime64(3, 'UTC'),
    source        LowCardinality(String),
    batch_id      String,
    experiment_id String,
    masked        UInt64,
    dropped       UInt64
)
ENGINE = MergeTree
ORDER BY (received_at, batch_id, experiment_id)
SETTINGS non_replicated_deduplication_window = 10000;
