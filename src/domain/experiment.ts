import { z } from 'zod'
import { Duration } from './duration.js'
import { durationLimitMessage, LIMITS, refineControlCharacters } from './input-limits.js'
import { GuardrailSpec, MetricSpec, metricProblems } from './metric.js'

/** Identifiers end up in job ids, topic keys and SQL parameters: keep them plain. */
export const Slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be 1-63 chars of a-z, 0-9, "-" or "_", starting with a letter or digit')

export { MetricName } from './metric.js'

export const ExperimentKind = z.enum(['ab', 'canary', 'rollout', 'model', 'chaos'])

export const Variant = z.strictObject({
  name: Slug,
  weight: z.number().gt(0, 'must be > 0'),
  description: z.string().optional(),
})

export const TargetingRule = z.strictObject({
  attribute: z.string().min(1),
  op: z.enum(['in', 'not_in']),
  values: z.array(z.string()).min(1),
})

// Metric definitions (type, margin, SLO, CUPED covariate) live in metric.ts, shared with the catalog.
export { GuardrailSpec, MetricSpec }

export const RolloutStep = z.strictObject({
  exposure: z.number().gt(0, 'must be > 0').max(100, 'must be <= 100'),
  minDuration: Duration.default(0),
  /** A human must approve the ramp into the next step. */
  approval: z.boolean().default(false),
})

export const Spending = z.union([z.enum(['obf', 'pocock']), z.strictObject({ power: z.number().gt(0) })])

export const StatisticsSpec = z
  .strictObject({
    alpha: z.number().gt(0).lt(0.5).default(0.05),
    /**
     * The primary metric's test. Guardrails always use an always-valid test (mSPRT, or the
     * confidence sequence when test is confseq): a rollback cannot wait for a planned look.
     */
    test: z.enum(['msprt', 'confseq', 'gst']).default('msprt'),
    /** Relative minimum detectable effect; sets the mSPRT mixing variance when tau is not given. */
    mde: z.number().gt(0).default(0.05),
    /** mSPRT mixing standard deviation on the metric's scale (overrides mde). */
    tau: z.number().gt(0).optional(),
    /** Units the experiment is planned to reach (all arms); needed by gst, tunes confseq. */
    plannedUnits: z.number().int().positive().optional(),
    /** Confidence-sequence tuning sample size N* (default: plannedUnits, else 10,000). */
    tuningN: z.number().int().positive().optional(),
    gst: z
      .strictObject({ looks: z.number().int().min(1).max(50).default(5), spending: Spending.default('obf') })
      .default({ looks: 5, spending: 'obf' }),
    srmAlpha: z.number().gt(0).lt(0.5).default(0.001),
    /** sequential: Dirichlet–multinomial Bayes factor (valid under monitoring); chisquare: Pearson. */
    srmTest: z.enum(['sequential', 'chisquare']).default('sequential'),
  })
  .refine((s) => s.test !== 'gst' || s.plannedUnits !== undefined, { message: 'test gst needs plannedUnits', path: ['plannedUnits'] })

/**
 * The spec's shape without its cross-field rules and size limits. Stored specs are read
 * back through it (stored-spec.ts): what was accepted once must still load after a rule
 * is tightened, and stored durations are already milliseconds.
 */
export const ExperimentSpecObject = z
  .strictObject({
    id: Slug,
    namespace: Slug.default('default'),
    layer: Slug.default('default'),
    /** Share of the layer's traffic this experiment reserves, in percent. */
    trafficShare: z.number().gt(0).max(100).default(100),
    // Required by policy rather than by shape, so a refusal lists them with the other rules.
    owner: z.string().default(''),
    hypothesis: z.string().default(''),
    /** Who answers out of hours (a pager alias, a phone rota); policy may require it. */
    onCall: z.string().default(''),
    /** The team quotas count against; empty means the owner (teamOf). */
    team: z.string().default(''),
    /** Services the experiment touches: the error-budget gate checks their SLOs. */
    services: z.array(z.string().min(1).max(128)).default([]),
    /**
     * Start even when `interference.action: block-start` would refuse it for sharing a
     * service with a running experiment (docs/interference.md). Optional, not defaulted,
     * so stored specs keep their JSON and hashes.
     */
    overlapAllowed: z.boolean().optional(),
    /** What an operator does when this experiment alerts: a URL or a short text. Alerts carry it (docs/notifications.md). */
    runbook: z.string().min(1).max(2000).optional(),
    kind: ExperimentKind.default('ab'),
    variants: z.array(Variant).min(2, 'needs a control and at least one treatment'),
    targeting: z.array(TargetingRule).default([]),
    priority: z.number().int().min(0).max(1000).default(100),
    rollout: z
      .strictObject({ steps: z.array(RolloutStep).min(1) })
      .default({ steps: [{ exposure: 100, minDuration: 0, approval: false }] }),
    metrics: z.strictObject({
      primary: MetricSpec,
      secondary: z.array(MetricSpec).default([]),
      guardrails: z.array(GuardrailSpec).default([]),
    }),
    statistics: StatisticsSpec.default({ alpha: 0.05, test: 'msprt', mde: 0.05, gst: { looks: 5, spending: 'obf' }, srmAlpha: 0.001, srmTest: 'sequential' }),
    policy: z
      .strictObject({ autoRollback: z.boolean().default(true), approvalToRamp: z.boolean().default(false) })
      .default({ autoRollback: true, approvalToRamp: false }),
    maxDuration: Duration.default(14 * 86_400_000),
    evaluation: z
      .strictObject({
        interval: Duration.default(300_000),
        /** Telemetry older than this pauses the experiment. */
        staleAfter: Duration.default(1_800_000),
        /** Units per variant before any test is allowed to act. */
        minUnits: z.number().int().min(2).default(100),
      })
      .default({ interval: 300_000, staleAfter: 1_800_000, minUnits: 100 }),
  })

/** What an enqueue accepts: the shape, its cross-field rules and the size limits. */
export const ExperimentSpecSchema = ExperimentSpecObject.superRefine((spec, ctx) => {
  checkConsistency(spec, ctx)
  checkLimits(spec, ctx)
})

type SpecShape = z.infer<typeof ExperimentSpecObject>

/** Names are unique and exposure never goes down. */
function checkConsistency(spec: SpecShape, ctx: z.RefinementCtx): void {
  const names = new Set<string>()
  spec.variants.forEach((v, i) => {
    if (names.has(v.name)) ctx.addIssue({ code: 'custom', path: ['variants', i, 'name'], message: `duplicate variant "${v.name}"` })
    names.add(v.name)
  })
  let last = 0
  spec.rollout.steps.forEach((s, i) => {
    if (s.exposure < last) ctx.addIssue({ code: 'custom', path: ['rollout', 'steps', i, 'exposure'], message: `must not decrease (previous step is ${last}%)` })
    last = s.exposure
  })
  const metricNames = new Set<string>([spec.metrics.primary.name])
  spec.metrics.guardrails.forEach((g, i) => {
    if (metricNames.has(g.name)) ctx.addIssue({ code: 'custom', path: ['metrics', 'guardrails', i, 'name'], message: `metric "${g.name}" is listed twice` })
    metricNames.add(g.name)
  })
  spec.metrics.secondary.forEach((m, i) => {
    if (metricNames.has(m.name)) ctx.addIssue({ code: 'custom', path: ['metrics', 'secondary', i, 'name'], message: `metric "${m.name}" is listed twice` })
    metricNames.add(m.name)
  })
  const entries: Array<[PropertyKey[], MetricSpec]> = [
    [['metrics', 'primary'], spec.metrics.primary],
    ...spec.metrics.guardrails.map((g, i): [PropertyKey[], MetricSpec] => [['metrics', 'guardrails', i], g]),
    ...spec.metrics.secondary.map((m, i): [PropertyKey[], MetricSpec] => [['metrics', 'secondary', i], m]),
  ]
  for (const [at, m] of entries) for (const p of metricProblems(m)) ctx.addIssue({ code: 'custom', path: [...at, ...p.path], message: p.message })
}

/** Absurd sizes refused with a clear message (see LIMITS); checked on input, not on stored specs. */
function checkLimits(spec: SpecShape, ctx: z.RefinementCtx): void {
  if (spec.variants.length > LIMITS.variants) ctx.addIssue({ code: 'custom', path: ['variants'], message: `at most ${LIMITS.variants} variants (got ${spec.variants.length})` })
  const steps = spec.rollout.steps
  if (steps.length > LIMITS.rolloutSteps) ctx.addIssue({ code: 'custom', path: ['rollout', 'steps'], message: `at most ${LIMITS.rolloutSteps} rollout steps (got ${steps.length})` })
  // Durations are listed (a new duration field belongs here); strings are walked, so new ones are covered.
  const durations: Array<[PropertyKey[], number]> = [
    [['maxDuration'], spec.maxDuration],
    [['evaluation', 'interval'], spec.evaluation.interval],
    [['evaluation', 'staleAfter'], spec.evaluation.staleAfter],
    ...steps.map((s, i): [PropertyKey[], number] => [['rollout', 'steps', i, 'minDuration'], s.minDuration]),
  ]
  for (const [path, ms] of durations) if (ms > LIMITS.durationMs) ctx.addIssue({ code: 'custom', path, message: durationLimitMessage })
  refineControlCharacters(spec, ctx)
}

export type ExperimentSpec = z.infer<typeof ExperimentSpecSchema>
export type ExperimentSpecInput = z.input<typeof ExperimentSpecSchema>
export type RolloutStep = z.infer<typeof RolloutStep>

export const controlOf = (spec: ExperimentSpec) => spec.variants[0]!.name

/** The team an experiment counts against for quotas: `team`, else its owner. */
export const teamOf = (spec: ExperimentSpec) => spec.team.trim() || spec.owner.trim()

/** Every metric the experiment measures, each once, with its role. */
export function metricsOf(spec: ExperimentSpec): Array<{ role: 'primary' | 'secondary' | 'guardrail'; metric: MetricSpec | GuardrailSpec }> {
  return [
    { role: 'primary' as const, metric: spec.metrics.primary },
    ...spec.metrics.guardrails.map((metric) => ({ role: 'guardrail' as const, metric })),
    ...spec.metrics.secondary.map((metric) => ({ role: 'secondary' as const, metric })),
  ]
}
