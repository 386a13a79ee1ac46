-- The analyst schema, version 1: views in a database of their own (docs/analytics.md, column by column).
-- Stable contract: a later migration may add columns or views, never drop or retype a v1 column
-- (test/integration/analytics-schema.test.ts compares DESCRIBE with test/integration/analytics-v1-columns.json);
-- a breaking change is a new v2_* view beside the old one.
-- Each view reads Runway's tables by their qualified names, so the namespace row filters a token
-- carries (additional_table_filters on default.*) apply to every row a view returns.
CREATE DATABASE IF NOT EXISTS analytics;

-- One row per experiment: the latest spec revision, its main fields, the current state and result.
CREATE OR REPLACE VIEW analytics.v1_experiments AS
SELECT
    e.id AS experiment_id,
    e.ns AS namespace,
    e.lay AS layer,
    e.rev AS revision,
    e.enq AS enqueued_at,
    JSONExtractString(e.spec_json, 'kind') AS kind,
    JSONExtractString(e.spec_json, 'owner') AS owner,
    JSONExtractString(e.spec_json, 'hypothesis') AS hypothesis,
    JSONExtract(JSONExtractRaw(e.spec_json, 'variants'), 'Array(Tuple(name String, weight Float64))') AS variants,
    JSONExtractString(JSONExtractRaw(e.spec_json, 'metrics', 'primary'), 'name') AS primary_metric,
    JSONExtractString(JSONExtractRaw(e.spec_json, 'metrics', 'primary'), 'direction') AS primary_direction,
    arrayMap(g -> JSONExtractString(g, 'name'), JSONExtractArrayRaw(JSONExtractRaw(e.spec_json, 'metrics'), 'guardrails')) AS guardrail_metrics,
    JSONExtractFloat(JSONExtractRaw(e.spec_json, 'statistics'), 'alpha') AS alpha,
    JSONExtractFloat(JSONExtractRaw(e.spec_json, 'statistics'), 'mde') AS mde,
    e.spec_json AS spec,
    l.state AS state,
    l.last_result AS result,
    l.changed_at AS state_changed_at
FROM
(
    SELECT id, argMax(namespace, revision) AS ns, argMax(layer, revision) AS lay, max(revision) AS rev,
           argMax(enqueued_at, revision) AS enq, argMax(spec, revision) AS spec_json
    FROM default.experiments
    GROUP BY id
) AS e
LEFT JOIN
(
    SELECT experiment_id, argMax(to_state, seq) AS state, argMax(at, seq) AS changed_at,
           argMaxIf(result, seq, result != '') AS last_result
    FROM default.lifecycle
    GROUP BY experiment_id
) AS l ON l.experiment_id = e.id;

-- One row per exposed unit and variant: when the unit was first and last seen, and how many events it sent.
CREATE OR REPLACE VIEW analytics.v1_exposures AS
SELECT
    experiment_id,
    variant,
    unit_id,
    min(u.first_ts) AS first_exposed_at,
    max(u.last_ts) AS last_seen_at,
    toUInt64(sum(u.events)) AS event_count
FROM default.unit_metrics AS u
GROUP BY experiment_id, variant, unit_id;

-- One row per unit, metric and variant: the unit's event count and value sum (its metric value is value_sum, or value_sum / event_count for a per-event mean).
CREATE OR REPLACE VIEW analytics.v1_unit_metrics AS
SELECT
    experiment_id,
    metric,
    variant,
    unit_id,
    toUInt64(sum(u.events)) AS event_count,
    sum(u.total) AS value_sum,
    min(u.first_ts) AS first_seen_at,
    max(u.last_ts) AS last_seen_at
FROM default.unit_metrics AS u
GROUP BY experiment_id, metric, variant, unit_id;

-- One row per verdict (each evaluation, or look): decision, reasons and the evidence JSON (src/decide/verdict-evidence.ts).
CREATE OR REPLACE VIEW analytics.v1_verdicts AS
SELECT
    id AS verdict_id,
    experiment_id,
    seq,
    decision,
    step,
    arrayMap(r -> JSONExtractString(r, 'code'), JSONExtractArrayRaw(v.reasons)) AS reason_codes,
    arrayMap(r -> JSONExtractString(r, 'message'), JSONExtractArrayRaw(v.reasons)) AS reason_messages,
    v.reasons AS reasons_json,
    window_from,
    window_to,
    evaluated_at,
    engine_version,
    needs_approval,
    evidence,
    JSONExtract(JSONExtractRaw(evidence, 'srm'), 'pValue', 'Nullable(Float64)') AS srm_p_value
FROM default.verdicts AS v;

-- One row per verdict, metric and treatment variant: the comparison the decision read (effect, interval, p-value, method).
CREATE OR REPLACE VIEW analytics.v1_results AS
SELECT
    id AS verdict_id,
    experiment_id,
    seq,
    evaluated_at,
    decision,
    step,
    JSONExtractString(c, 'metric') AS metric,
    JSONExtractString(c, 'role') AS role,
    JSONExtractString(c, 'variant') AS variant,
    JSONExtractString(c, 'method') AS method,
    JSONExtractString(c, 'status') AS status,
    JSONExtract(c, 'controlMean', 'Nullable(Float64)') AS control_mean,
    JSONExtract(c, 'treatmentMean', 'Nullable(Float64)') AS treatment_mean,
    JSONExtract(c, 'effect', 'Nullable(Float64)') AS effect,
    JSONExtract(c, 'ciLow', 'Nullable(Float64)') AS ci_low,
    JSONExtract(c, 'ciHigh', 'Nullable(Float64)') AS ci_high,
    JSONExtract(c, 'pValue', 'Nullable(Float64)') AS p_value,
    JSONExtract(c, 'adjustedPValue', 'Nullable(Float64)') AS adjusted_p_value,
    JSONExtract(c, 'controlUnits', 'Nullable(UInt64)') AS control_units,
    JSONExtract(c, 'treatmentUnits', 'Nullable(UInt64)') AS treatment_units
FROM default.verdicts
ARRAY JOIN JSONExtractArrayRaw(evidence, 'comparisons') AS c
WHERE evidence != '';

-- The ledger: every lifecycle transition, who made it and why, in order.
CREATE OR REPLACE VIEW analytics.v1_ledger AS
SELECT
    experiment_id,
    seq,
    at,
    from_state,
    to_state,
    step,
    exposure,
    actor_type,
    actor_id,
    reason,
    codes,
    result,
    verdict_id,
    verdict_seq,
    alloc_start,
    alloc_size
FROM default.lifecycle;
