-- The audit ledger's hash chain (src/domain/ledger-chain.ts): every lifecycle
-- entry carries the previous entry's hash and its own. Entries written before
-- this migration keep '' and verify as unchained.
ALTER TABLE lifecycle ADD COLUMN IF NOT EXISTS prev_hash String DEFAULT '';
ALTER TABLE lifecycle ADD COLUMN IF NOT EXISTS hash String DEFAULT '';

-- The chain head after every append, written beside each lifecycle row: a second
-- copy of each entry's hash in another table, so rows deleted from the end of a
-- chain (or a whole chain), or rows rewritten and re-hashed, are still noticed.
CREATE TABLE IF NOT EXISTS ledger_heads
(
    experiment_id String,
    seq           UInt32,
    hash          String,
    recorded_at   DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (experiment_id, seq)
SETTINGS non_replicated_deduplication_window = 1000;
