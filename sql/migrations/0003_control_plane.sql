-- Specs as enqueued; the newest revision of an id wins.
CREATE TABLE IF NOT EXISTS experiments
(
    id          String,
    revision    UInt32,
    namespace   LowCardinality(String),
    layer       LowCardinality(String),
    spec        String,
    enqueued_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(revision)
ORDER BY id
SETTINGS non_replicated_deduplication_window = 1000;

-- The lifecycle ledger: one row per transition, with actor and reason.
CREATE TABLE IF NOT EXISTS lifecycle
(
    experiment_id String,
    seq           UInt32,
    at            DateTime64(3, 'UTC'),
    from_state    LowCardinality(String),
    to_state      LowCardinality(String),
    step          UInt16,
    exposure      Float64,
    actor_type    LowCardinality(String),
    actor_id      String,
    reason        String,
    verdict_id    String,
    verdict_seq   UInt32,
    alloc_start   Nullable(UInt32),
    alloc_size    Nullable(UInt32)
)
ENGINE = MergeTree
ORDER BY (experiment_id, seq)
SETTINGS non_replicated_deduplication_window = 1000;

-- Every verdict the decision engine produced, applied or not.
CREATE TABLE IF NOT EXISTS verdicts
(
    id             String,
    experiment_id  String,
    seq            UInt32,
    decision       LowCardinality(String),
    step           UInt16,
    reasons        String,
    window_from    DateTime64(3, 'UTC'),
    window_to      DateTime64(3, 'UTC'),
    evaluated_at   DateTime64(3, 'UTC'),
    engine_version LowCardinality(String),
    needs_approval Bool
)
ENGINE = MergeTree
ORDER BY (experiment_id, seq)
SETTINGS non_replicated_deduplication_window = 1000;
