-- `runway export`: an experiment's unit-level data, one row per unit × metric × variant
-- (analytics.v1_unit_metrics, docs/analytics.md). Parameter: {experiment:String}.
SELECT experiment_id, metric, variant, unit_id, event_count, value_sum, first_seen_at, last_seen_at
FROM analytics.v1_unit_metrics
WHERE experiment_id = {experiment:String}
ORDER BY metric, variant, unit_id
