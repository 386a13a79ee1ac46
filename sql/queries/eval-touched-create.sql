-- The cycle's touched events (src/services/evaluate-incremental-touched.ts, issue 16 item 3): a Memory
-- table, one per reader, holding every event received <= the cycle's watermark of every unit id with an
-- event received since the oldest held watermark. Filled once per cycle, read by every held pass
-- (*-incremental.sql), dropped after the cycle. Parameters: {touched:Identifier} (the reader's own name).
CREATE TABLE IF NOT EXISTS {touched:Identifier}
(
    experiment_id LowCardinality(String),
    metric        LowCardinality(String),
    variant       LowCardinality(String),
    unit_id       String,
    ts            DateTime64(3, 'UTC'),
    value         Float64,
    received_at   DateTime64(3, 'UTC')
)
ENGINE = Memory
