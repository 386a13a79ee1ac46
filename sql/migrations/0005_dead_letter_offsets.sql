-- Kafka dead letters record the message offset in `line`; offsets outgrow UInt32.
ALTER TABLE dead_letters MODIFY COLUMN line UInt64;
