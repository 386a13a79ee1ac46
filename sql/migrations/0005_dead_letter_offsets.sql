-- Kafka dead letters record the message offset; offsets outgrow `line` (UInt32, a
-- key column that cannot be widened in place). `position` holds the line number
-- (HTTP) or the partition offset (Kafka) in full.
ALTER TABLE dead_letters ADD COLUMN IF NOT EXISTS position UInt64 DEFAULT line;
