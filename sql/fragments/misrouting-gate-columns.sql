-- The gate's expected assignment of a unit, per row of `logged` (experiment_id, unit_id), for the
-- misrouting queries (misrouting-summary-batch/-base/-incremental, misrouting-recent-batch): the unit's
-- layer bucket and variant bucket (murmurHash3_32 of salt ':' unit_id, mod 10000, as
-- src/domain/assignment.ts), whether the bucket is inside the experiment's allocation and exposure, and
-- the key prefix of its variant ranges (variantBucketRanges in src/services/evaluate-batch.ts).
-- Parameters: {experiments:Array(String)}, {layer_salts}, {variant_salts}, {alloc_sizes}, {alloc_starts}, {exposures}.
-- Included with `-- include: misrouting-gate-columns` (src/sql-files.ts) as the last columns of a SELECT.
murmurHash3_32(concat(transform(experiment_id, {experiments:Array(String)}, {layer_salts:Array(String)}, ''), ':', unit_id)) % 10000 AS layer_bucket,
murmurHash3_32(concat(transform(experiment_id, {experiments:Array(String)}, {variant_salts:Array(String)}, ''), ':', unit_id)) % 10000 AS variant_bucket,
transform(experiment_id, {experiments:Array(String)}, {alloc_sizes:Array(Int64)}, toInt64(0)) AS alloc_size,
toInt64(layer_bucket) - transform(experiment_id, {experiments:Array(String)}, {alloc_starts:Array(Int64)}, toInt64(0)) AS offset,
toUInt8(offset >= 0 AND offset < alloc_size AND offset < alloc_size * transform(experiment_id, {experiments:Array(String)}, {exposures:Array(Float64)}, toFloat64(0)) / 100) AS exposed,
concat(toString(length(experiment_id)), ':', experiment_id, ':') AS prefix
