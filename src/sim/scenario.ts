import { z } from 'zod'
import { ExperimentSpecSchema, MetricName, Slug } from '../domain/experiment.js'
import { BoundedDuration, LIMITS, refineControlCharacters } from '../domain/input-limits.js'
import { rawProblemsOf } from '../domain/validation.js'

// Strict objects throughout: a mistyped key (`unitsPerHuor`) is refused with the nearest
// known key instead of silently taking a default.
const MetricModel = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('bernoulli'), base: z.number().min(0).max(1) }),
  z.strictObject({ type: z.literal('normal'), mean: z.number(), sd: z.number().min(0) }),
])

const Fault = z.discriminatedUnion('type', [
  /** The experiment's services stop sending telemetry at `at` (from scenario start). */
  z.strictObject({ type: z.literal('telemetry_stop'), at: BoundedDuration }),
  /** From `from`, a fraction of exposed units is logged under variant `to` (skews the split). */
  z.strictObject({ type: z.literal('misroute'), from: BoundedDuration, fraction: z.number().gt(0).max(1), to: Slug }),
])

/** The embedded spec is sent as written, but checked here first so a typo is named before a run starts. */
const EmbeddedSpec = z.record(z.string(), z.unknown()).superRefine((spec, ctx) => {
  const parsed = ExperimentSpecSchema.safeParse(spec)
  if (!parsed.success) for (const p of rawProblemsOf(parsed.error, ExperimentSpecSchema)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message })
})

export const ScenarioExperiment = z.strictObject({
  /** The experiment spec, exactly as it would be enqueued. */
  spec: EmbeddedSpec,
  enqueueAt: BoundedDuration.default(0),
  traffic: z.strictObject({
    /** Units arriving at the experiment's layer per simulated hour. */
    unitsPerHour: z.number().positive().max(1e9),
    /** Events each exposed unit sends per metric. */
    eventsPerUnit: z.number().int().positive().max(1000).default(1),
  }),
  /** Baseline model of each metric the services report. */
  metrics: z.record(MetricName, MetricModel),
  /** True effect per variant and metric: an absolute shift of the metric's mean. */
  effects: z.record(Slug, z.record(MetricName, z.number())).default({}),
  faults: z.array(Fault).default([]),
})

export const ScenarioSchema = z
  .strictObject({
    name: z.string().min(1).max(200),
    seed: z.number().int().default(1),
    start: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 time').default('2026-01-05T00:00:00Z'),
    duration: BoundedDuration,
    /** Simulated time per step: traffic for the step is sent, then the clock advances. */
    tick: BoundedDuration.refine((ms) => ms > 0, 'must be > 0 (a zero tick never advances the clock)').default(600_000),
    experiments: z.array(ScenarioExperiment).min(1),
  })
  .superRefine((s, ctx) => {
    const ticks = Math.ceil(s.duration / s.tick)
    // A zero tick has its own refusal above.
    if (s.tick > 0 && ticks > LIMITS.scenarioTicks) {
      ctx.addIssue({ code: 'custom', path: ['tick'], message: `duration ÷ tick is ${ticks} steps; at most ${LIMITS.scenarioTicks} (use a longer tick)` })
    }
    refineControlCharacters({ name: s.name, start: s.start }, ctx)
  })

export type Scenario = z.infer<typeof ScenarioSchema>
export type ScenarioExperiment = z.infer<typeof ScenarioExperiment>
