-- One row per pair of running experiments that can share units, per run of the interference
-- job: the assignment-independence test (kind 'assignment', metric '') and every interaction
-- contrast (kind 'interaction', per shared metric x treatment of A x treatment of B), with the
-- window it covers, the numbers and the status ('flagged' | 'clear' | 'insufficient').
-- p_value of an interaction is the running minimum of the always-valid p over the runs.
CREATE TABLE IF NOT EXISTS interference
(
    run_id           String,
    evaluated_at     DateTime64(3, 'UTC'),
    experiment_a     LowCardinality(String),
    experiment_b     LowCardinality(String),
    namespace_a      LowCardinality(String),
    namespace_b      LowCardinality(String),
    reason           LowCardinality(String),
    kind             LowCardinality(String),
    metric           LowCardinality(String),
    variant_a        LowCardinality(String),
    variant_b        LowCardinality(String),
    window_from      DateTime64(3, 'UTC'),
    window_to        DateTime64(3, 'UTC'),
    units            UInt64,
    delta            Nullable(Float64),
    se               Nullable(Float64),
    ci_low           Nullable(Float64),
    ci_high          Nullable(Float64),
    relative         Nullable(Float64),
    relative_se      Nullable(Float64),
    z                Nullable(Float64),
    p_value          Nullable(Float64),
    adjusted_p       Nullable(Float64),
    chi_square       Nullable(Float64),
    df               Nullable(UInt32),
    correlation      Nullable(Float64),
    correlation_low  Nullable(Float64),
    correlation_high Nullable(Float64),
    correlation_n    UInt32,
    fdr              Float64,
    stats_status     LowCardinality(String),
    status           LowCardinality(String),
    action           LowCardinality(String)
)
ENGINE = MergeTree
ORDER BY (experiment_a, experiment_b, kind, metric, variant_a, variant_b, evaluated_at)
SETTINGS non_replicated_deduplication_window = 1000;
