-- API tokens. Only a SHA-256 of each token is kept; the secret is shown once, at
-- creation. Revoking inserts the same id with a higher version and revoked_at set,
-- so the newest version of an id wins (read with FINAL) and history stays auditable.
CREATE TABLE IF NOT EXISTS api_tokens
(
    id          String,
    version     UInt32,
    name        String,
    role        LowCardinality(String),
    namespace   LowCardinality(String),
    hash        String,
    created_at  DateTime64(3, 'UTC'),
    created_by  String,
    revoked_at  Nullable(DateTime64(3, 'UTC')),
    revoked_by  String DEFAULT ''
)
ENGINE = ReplacingMergeTree(version)
ORDER BY id
SETTINGS non_replicated_deduplication_window = 1000;
