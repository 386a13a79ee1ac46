-- Windowed SLIs: per experiment x metric x variant x minute, the event count, sum of values,
-- sum of squares and a mergeable t-digest of the values (p50/p90/p95/p99). A PROJECTION, like
-- unit_agg (0010): it is written inside each events part, so a batch and its minute aggregates
-- commit together even on a full disk; a materialized view would write a second table that can
-- fail on its own. Rolling minutes up to any window merges the digest states (measured error:
-- bench/README-sli.md).
ALTER TABLE events ADD PROJECTION IF NOT EXISTS sli_minute
(
    SELECT experiment_id, metric, variant, toStartOfMinute(ts), count(), sum(value), sum(value * value),
           quantilesTDigest(0.5, 0.9, 0.95, 0.99)(value), max(received_at)
    GROUP BY experiment_id, metric, variant, toStartOfMinute(ts)
);

ALTER TABLE events MATERIALIZE PROJECTION sli_minute;

-- The analysts' view (docs/slis.md, column by column); the engine answers it from the projection.
CREATE VIEW IF NOT EXISTS sli_minutes AS
SELECT
    experiment_id,
    metric,
    variant,
    toStartOfMinute(ts)                               AS minute,
    count()                                           AS events,
    sum(value)                                        AS sum,
    sum(value * value)                                AS sum_squares,
    quantilesTDigest(0.5, 0.9, 0.95, 0.99)(value)     AS quantiles,
    max(received_at)                                  AS last_received_at
FROM events
GROUP BY experiment_id, metric, variant, minute;
