-- The upstream of a paused experiment's telemetry (auto-resume): the services that sent its
-- events before {since}, and what those services sent for any experiment — their newest event
-- before {since}, and the first, newest and count at or after it. A paused experiment exposes
-- no units, so its own telemetry cannot show the source is back; the services' can.
-- Only events from {from} on are read ({since} − staleAfter: an older one leaves the source silent at the pause).
-- Parameters: {experiment:String}, {since:DateTime64(3)}, {from:DateTime64(3)}.
WITH upstream AS (SELECT groupUniqArray(service) AS services FROM events WHERE experiment_id = {experiment:String} AND ts < {since:DateTime64(3)})
SELECT
    arraySort((SELECT services FROM upstream))                                         AS services,
    toUnixTimestamp64Milli(maxIf(ts, ts < {since:DateTime64(3)}))                     AS last_before_ms,
    toUInt64(countIf(ts < {since:DateTime64(3)}))                                     AS events_before,
    toUnixTimestamp64Milli(minIf(ts, ts >= {since:DateTime64(3)}))                    AS first_event_ms,
    toUnixTimestamp64Milli(maxIf(ts, ts >= {since:DateTime64(3)}))                    AS last_event_ms,
    toUInt64(countIf(ts >= {since:DateTime64(3)}))                                    AS events
FROM events
WHERE has((SELECT services FROM upstream), service) AND ts >= {from:DateTime64(3)}
