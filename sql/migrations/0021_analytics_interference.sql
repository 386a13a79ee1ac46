-- The analyst schema, version 1, continued (docs/analytics.md): the interference job's results and
-- the raw events (with their attributes, for segments and CUPED pre-periods). Added columns and
-- views only; the v1 contract of 0020 is unchanged.

-- One row per interference row (run × pair × test) and per experiment of its pair: each row of the
-- job's table appears twice, once with experiment_id = experiment_a and once with experiment_b, so
-- `WHERE experiment_id = X` gives every pair X is in and the namespace filter has its key.
-- `WHERE experiment_id = experiment_a` lists each pair once. A pair is shown only when both of its
-- experiments are readable: the subqueries read default.experiments, which carries the token's
-- namespace filter (as GET /v1/interference: read on both namespaces).
CREATE OR REPLACE VIEW analytics.v1_interference AS
SELECT
    toString(side.1) AS experiment_id,
    toString(side.2) AS other_experiment_id,
    i.run_id AS run_id,
    CAST(i.run_id = (SELECT argMax(run_id, evaluated_at) FROM default.interference) AS Bool) AS latest_run,
    i.evaluated_at AS evaluated_at,
    i.experiment_a AS experiment_a,
    i.experiment_b AS experiment_b,
    i.namespace_a AS namespace_a,
    i.namespace_b AS namespace_b,
    i.reason AS reason,
    i.kind AS kind,
    i.metric AS metric,
    i.variant_a AS variant_a,
    i.variant_b AS variant_b,
    i.window_from AS window_from,
    i.window_to AS window_to,
    i.units AS units,
    i.delta AS delta,
    i.se AS se,
    i.ci_low AS ci_low,
    i.ci_high AS ci_high,
    i.relative AS relative,
    i.relative_se AS relative_se,
    i.z AS z,
    i.p_value AS p_value,
    i.adjusted_p AS adjusted_p,
    i.chi_square AS chi_square,
    i.df AS df,
    i.correlation AS correlation,
    i.correlation_low AS correlation_low,
    i.correlation_high AS correlation_high,
    i.correlation_n AS correlation_n,
    i.fdr AS fdr,
    i.stats_status AS stats_status,
    i.status AS status,
    i.action AS action
FROM default.interference AS i
ARRAY JOIN [(i.experiment_a, i.experiment_b), (i.experiment_b, i.experiment_a)] AS side
WHERE i.experiment_a IN (SELECT id FROM default.experiments)
  AND i.experiment_b IN (SELECT id FROM default.experiments);

-- One row per accepted event, with its attributes (segments) and time (CUPED pre-periods, effect
-- over time). Read by experiment: an event belongs to the experiment it was sent for.
CREATE OR REPLACE VIEW analytics.v1_events AS
SELECT
    event_id,
    ts,
    experiment_id,
    variant,
    unit_id,
    service,
    metric,
    value,
    attributes,
    received_at
FROM default.events;
