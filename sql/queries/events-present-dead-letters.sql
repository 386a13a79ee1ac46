-- Messages of a Kafka range already dead-lettered, for the telemetry consumer's recovery
-- (src/adapters/bus/telemetry-recovery.ts): a refused message is known by its offset
-- (`position`) in its partition, whose batches are named '<topic>/<partition>/...'.
-- Parameters: {batchPrefix:String} ('<topic>/<partition>/'), {from:UInt64} and {to:UInt64} (offsets, inclusive).
SELECT toString(position) AS at, any(reason) AS reason, any(raw) AS raw
FROM dead_letters
WHERE source = 'kafka'
  AND startsWith(batch_id, {batchPrefix:String})
  AND position BETWEEN {from:UInt64} AND {to:UInt64}
GROUP BY position
