-- The newest pauses and rollbacks across experiments, with the verdict's reasons (codes
-- and numbers) when a verdict caused them. Parameters: {limit:UInt32}.
SELECT
    l.experiment_id AS experiment_id,
    l.seq AS seq,
    toUnixTimestamp64Milli(l.at) AS at_ms,
    l.from_state AS from_state,
    l.to_state AS to_state,
    l.actor_type AS actor_type,
    l.actor_id AS actor_id,
    l.reason AS reason,
    l.verdict_id AS verdict_id,
    v.reasons AS verdict_reasons
FROM lifecycle AS l
LEFT JOIN (SELECT id, reasons FROM verdicts) AS v ON v.id = l.verdict_id
WHERE l.to_state IN ('paused', 'rolled_back')
ORDER BY l.at DESC, l.experiment_id, l.seq DESC
LIMIT {limit:UInt32}
