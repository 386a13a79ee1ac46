-- What each paused experiment's upstream services (upstream-services-batch.sql) sent for any
-- experiment, for all of a tick's paused experiments in one pass: the newest event before the
-- experiment's pause and the count, and the first, newest and count at or after it. Experiment i
-- was paused at {since_ms}[i] and reads events from {from_ms}[i] on (its pause − staleAfter: an
-- older one leaves the source silent at the pause); {min_from_ms} is the smallest, so the scan
-- skips older events. The (experiment, service) pairs are ({pair_experiments}[j], {pair_services}[j]);
-- an event counts once for every paused experiment whose upstream sent it. An experiment whose
-- services sent nothing since its {from_ms} has no row. Times are Unix ms.
-- Parameters: {experiments:Array(String)}, {since_ms:Array(Int64)}, {from_ms:Array(Int64)},
-- {min_from_ms:Int64}, {pair_experiments:Array(String)}, {pair_services:Array(String)}.
WITH pairs AS
(
    SELECT p.1 AS experiment_id, p.2 AS service
    FROM (SELECT arrayJoin(arrayZip({pair_experiments:Array(String)}, {pair_services:Array(String)})) AS p)
)
SELECT
    experiment_id,
    maxIf(ms, ms < since)               AS last_before_ms,
    toUInt64(countIf(ms < since))       AS events_before,
    minIf(ms, ms >= since)              AS first_event_ms,
    maxIf(ms, ms >= since)              AS last_event_ms,
    toUInt64(countIf(ms >= since))      AS events
FROM
(
    SELECT
        pr.experiment_id AS experiment_id,
        e.ms AS ms,
        transform(pr.experiment_id, {experiments:Array(String)}, {since_ms:Array(Int64)}, toInt64(0)) AS since
    FROM
    (
        SELECT toString(service) AS service, toUnixTimestamp64Milli(ts) AS ms
        FROM events
        WHERE ts >= fromUnixTimestamp64Milli({min_from_ms:Int64}, 'UTC') AND service IN {pair_services:Array(String)}
    ) AS e
    INNER JOIN pairs AS pr ON e.service = pr.service
    WHERE e.ms >= transform(pr.experiment_id, {experiments:Array(String)}, {from_ms:Array(Int64)}, toInt64(9223372036854775807))
)
GROUP BY experiment_id
