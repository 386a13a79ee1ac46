-- The assignment bucket of each unit, as the gate computes it:
-- murmurHash3_32(salt || ':' || unit) mod 10000 (see src/domain/assignment.ts).
-- Parameters: {salt:String}, {units:Array(String)}.
SELECT
    unit_id,
    murmurHash3_32(concat({salt:String}, ':', unit_id)) % 10000 AS bucket
FROM (SELECT arrayJoin({units:Array(String)}) AS unit_id)
