-- Outgoing notifications (src/notify): every event is written here before any sink sees
-- it, so an event survives a crash of the process that produced it; a delivery is
-- recorded per sink once the receiver acknowledged it. Pending = outbox minus deliveries.
-- `ord` orders one experiment's events (epoch microseconds, strictly increasing per process).
CREATE TABLE IF NOT EXISTS notify_outbox
(
    id            String,
    experiment_id String,
    ord           UInt64,
    type          LowCardinality(String),
    created_at    DateTime64(3, 'UTC'),
    body          String
)
ENGINE = ReplacingMergeTree
ORDER BY (experiment_id, ord, id)
SETTINGS non_replicated_deduplication_window = 1000;
CREATE TABLE IF NOT EXISTS notify_deliveries
(
    sink          LowCardinality(String),
    event_id      String,
    delivered_at  DateTime64(3, 'UTC'),
    attempts      UInt32
)
ENGINE = ReplacingMergeTree
ORDER BY (sink, event_id)
SETTINGS non_replicated_deduplication_window = 1000;
-- Incident mode (src/services/incidents.ts): one row per change of an incoming alert,
-- the newest version of a fingerprint wins.
CREATE TABLE IF NOT EXISTS incidents
(
    fingerprint   String,
    version       UInt64,
    alertname     String,
    service       String,
    experiment    String,
    status        LowCardinality(String),
    started_at    DateTime64(3, 'UTC'),
    resolved_at   Nullable(DateTime64(3, 'UTC')),
    summary       String,
    paused        Array(String)
)
ENGINE = ReplacingMergeTree(version)
ORDER BY fingerprint;
