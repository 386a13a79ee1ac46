-- Each unit's expected variant, recomputed from the gate's hash (src/domain/assignment.ts):
--   layer bucket   = murmurHash3_32(concat(layer_salt, ':', unit_id)) % 10000, layer_salt = 'layer/<namespace>/<layer>'
--   exposed        ⇔ 0 ≤ layer bucket − alloc_start < alloc_size × exposure / 100
--   variant bucket = murmurHash3_32(concat(variant_salt, ':', unit_id)) % 10000, variant_salt = 'variant/<experiment>'
--   variant        = the first i with variant bucket < thresholds[i] (else the last), where
--                    thresholds[i] = Σ_{j ≤ i} weight_j / Σ weight × 10000, summed left to right in Float64
--                    (variantThresholds() in src/domain/fast-assignment.ts computes exactly these).
-- Targeting rules are not applied: they need the request's attributes.
-- Parameters: {units:Array(String)}, {layer_salt:String}, {variant_salt:String}, {alloc_start:Int64},
--   {alloc_size:Int64} (0: no allocation), {exposure:Float64} (percent), {variants:Array(String)},
--   {thresholds:Array(Float64)}.
SELECT
    unit_id,
    layer_bucket,
    variant_bucket,
    toUInt8(offset >= 0 AND offset < {alloc_size:Int64} AND offset < {alloc_size:Int64} * {exposure:Float64} / 100) AS exposed,
    if(exposed = 1,
       {variants:Array(String)}[if(arrayFirstIndex(t -> variant_bucket < t, {thresholds:Array(Float64)}) = 0,
                                   length({variants:Array(String)}),
                                   arrayFirstIndex(t -> variant_bucket < t, {thresholds:Array(Float64)}))],
       '') AS expected_variant
FROM
(
    SELECT
        unit_id,
        murmurHash3_32(concat({layer_salt:String}, ':', unit_id)) % 10000 AS layer_bucket,
        murmurHash3_32(concat({variant_salt:String}, ':', unit_id)) % 10000 AS variant_bucket,
        toInt64(layer_bucket) - {alloc_start:Int64} AS offset
    FROM (SELECT arrayJoin({units:Array(String)}) AS unit_id)
)
