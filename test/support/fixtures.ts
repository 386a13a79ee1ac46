/**
 * Builders for pure unit tests: a valid experiment spec, a record in any lifecycle
 * state, and sufficient statistics with exactly known mean and variance.
 */
import { type ExperimentSpec, type ExperimentSpecInput, ExperimentSpecSchema } from '../../src/domain/experiment.js'
import { type ExperimentRecord, newRecord } from '../../src/domain/experiment-record.js'
import { parseWith } from '../../src/domain/validation.js'
import type { EvaluationInput, MetricMoments, VariantUnits } from '../../src/decide/evidence.js'
import type { Moments } from '../../src/stats/moments.js'

export const SECOND = 1_000
export const MINUTE = 60 * SECOND
export const HOUR = 60 * MINUTE
export const DAY = 24 * HOUR

/** 2026-01-01T00:00:00Z: a fixed clock origin for every test. */
export const T0 = Date.UTC(2026, 0, 1)

/**
 * The raw (pre-parse) spec every fixture starts from: passes every enqueue policy rule,
 * three rollout steps (5% for 1h, 25% for 2h, 100% for 1d), a primary metric and one
 * 'decrease' guardrail.
 */
export function specInput(overrides: Partial<ExperimentSpecInput> = {}): ExperimentSpecInput {
  return {
    id: 'checkout-button',
    owner: 'team-checkout',
    hypothesis: 'A green checkout button lifts conversion',
    variants: [
      { name: 'control', weight: 50 },
      { name: 'treatment', weight: 50 },
    ],
    rollout: {
      steps: [
        { exposure: 5, minDuration: '1h' },
        { exposure: 25, minDuration: '2h' },
        { exposure: 100, minDuration: '1d' },
      ],
    },
    metrics: {
      primary: { name: 'conversion', direction: 'increase' },
      guardrails: [{ name: 'error_rate', direction: 'decrease' }],
    },
    ...overrides,
  }
}

/** A parsed, valid ExperimentSpec; top-level fields of `overrides` replace the defaults. */
export function specFixture(overrides: Partial<ExperimentSpecInput> = {}): ExperimentSpec {
  const parsed = parseWith(ExperimentSpecSchema, specInput(overrides))
  if (!parsed.ok) {
    throw new Error(`invalid spec fixture: ${parsed.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`)
  }
  return parsed.value
}

/** A record built by `newRecord` (draft, enqueued at T0) with any field overridden. */
export function recordFixture(overrides: Partial<ExperimentRecord> = {}): ExperimentRecord {
  const spec = overrides.spec ?? specFixture()
  return { ...newRecord(spec, T0), ...overrides, spec }
}

/**
 * A running record at `step`, started at T0, in its current step since `stepStartedAt`;
 * `gstFractions` lists the group-sequential looks already spent (default none).
 */
export function runningRecord(
  spec: ExperimentSpec = specFixture(),
  opts: { step?: number; startedAt?: number; stepStartedAt?: number; gstFractions?: number[] } = {},
): ExperimentRecord {
  const startedAt = opts.startedAt ?? T0
  return recordFixture({
    spec,
    state: 'running',
    step: opts.step ?? 0,
    startedAt,
    stepStartedAt: opts.stepStartedAt ?? startedAt,
    allocation: { start: 0, size: 10_000 },
    version: 3,
    ledgerSeq: 3,
    gstFractions: opts.gstFractions ?? [],
  })
}

/** Moments of n 0/1 outcomes with round(n·p) successes (Σx² = Σx). */
export function bernoulli(n: number, p: number): Moments {
  const successes = Math.round(n * p)
  return { n, sum: successes, sumSquares: successes }
}

/** Moments of n values whose sample mean is `mean` and sample SD is `sd`, exactly. */
export function gaussian(n: number, mean: number, sd: number): Moments {
  return { n, sum: n * mean, sumSquares: (n - 1) * sd * sd + n * mean * mean }
}

/** Units per variant as the warehouse reports them; every variant's last event at `lastEventMs`. */
export function unitsFixture(counts: Record<string, number>, lastEventMs: number | null | Record<string, number | null>): VariantUnits[] {
  return Object.entries(counts).map(([variant, units]) => ({
    variant,
    units,
    events: units * 3,
    lastEventMs: lastEventMs !== null && typeof lastEventMs === 'object' ? (lastEventMs[variant] ?? null) : lastEventMs,
  }))
}

/** `{ metric: { variant: moments } }` → the evaluation input's metric list. */
export function momentsFixture(byMetric: Record<string, Record<string, Moments>>): MetricMoments[] {
  return Object.entries(byMetric).map(([metric, byVariant]) => ({ metric, byVariant }))
}

/**
 * A healthy two-arm evaluation of the fixture spec: 20,000 units per arm, conversion
 * 10% vs 10%, error rate 1% vs 1%, last event a minute ago. Override any part.
 */
export function evaluationFixture(opts: {
  record: ExperimentRecord
  now: number
  units?: VariantUnits[]
  metrics?: Record<string, Record<string, Moments>>
}): EvaluationInput {
  const n = 20_000
  return {
    record: opts.record,
    now: opts.now,
    units: opts.units ?? unitsFixture({ control: n, treatment: n }, opts.now - MINUTE),
    metrics: momentsFixture(
      opts.metrics ?? {
        conversion: { control: bernoulli(n, 0.1), treatment: bernoulli(n, 0.1) },
        error_rate: { control: bernoulli(n, 0.01), treatment: bernoulli(n, 0.01) },
      },
    ),
  }
}
