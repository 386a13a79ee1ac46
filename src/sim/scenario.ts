import { z } from 'zod'
import { ExperimentSpecSchema, MetricName, Slug } from '../domain/experiment.js'
import { BoundedDuration, LIMITS, refineControlCharacters } from '../domain/input-limits.js'
import { rawProblemsOf } from '../domain/validation.js'
import { Effect, Fault, Interaction, MetricModel, ScriptedAction, Units } from './scenario-parts.js'

// Strict objects throughout: a mistyped key (`unitsPerHuor`) is refused with the nearest
// known key instead of silently taking a default. The parts are in scenario-parts.ts.
export { Effect, Fault, Interaction, MetricModel, ScriptedAction, Units }

/** The embedded spec is sent as written, but checked here first so a typo is named before a run starts. */
const EmbeddedSpec = z.record(z.string(), z.unknown()).superRefine((spec, ctx) => {
  const parsed = ExperimentSpecSchema.safeParse(spec)
  if (!parsed.success) for (const p of rawProblemsOf(parsed.error, ExperimentSpecSchema)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message })
})

export const ScenarioExperiment = z
  .strictObject({
    /** The experiment spec, exactly as it would be enqueued. */
    spec: EmbeddedSpec,
    enqueueAt: BoundedDuration.default(0),
    traffic: z.strictObject({
      /** Units arriving at the experiment's layer per simulated hour. */
      unitsPerHour: z.number().positive().max(1e9),
      /** Events each exposed unit sends per metric. */
      eventsPerUnit: z.number().int().positive().max(1000).default(1),
    }),
    /** Baseline model of each event metric the services report. */
    metrics: z.record(MetricName, MetricModel),
    /** True effect per variant and event metric (scenario-parts.ts Effect). */
    effects: z.record(Slug, z.record(MetricName, Effect)).default({}),
    faults: z.array(Fault).default([]),
  })
  .superRefine((x, ctx) => {
    // The spec is valid here (its own refinement ran first); read what the references need.
    const spec = ExperimentSpecSchema.safeParse(x.spec)
    if (!spec.success) return
    const variants = spec.data.variants.map((v) => v.name)
    const steps = spec.data.rollout.steps.length
    const modelled = Object.keys(x.metrics)
    for (const [variant, byMetric] of Object.entries(x.effects)) {
      if (!variants.includes(variant)) ctx.addIssue({ code: 'custom', path: ['effects', variant], message: `the spec has no variant "${variant}" (has ${variants.join(', ')})` })
      for (const [metric, effect] of Object.entries(byMetric)) {
        const at = ['effects', variant, metric]
        const model = x.metrics[metric]
        if (!model) {
          ctx.addIssue({ code: 'custom', path: at, message: `no model for metric "${metric}" in metrics (has ${modelled.join(', ') || 'none'})` })
          continue
        }
        if (typeof effect === 'number') continue
        if (effect.tail && model.type === 'bernoulli') ctx.addIssue({ code: 'custom', path: [...at, 'tail'], message: 'a tail adds to event values; a bernoulli metric has outcomes (use shift or scale)' })
        if (effect.fromStep !== undefined && effect.fromStep > steps) ctx.addIssue({ code: 'custom', path: [...at, 'fromStep'], message: `the rollout has ${steps} steps` })
      }
    }
    const weights = spec.data.variants.reduce((a, v) => a + v.weight, 0)
    x.faults.forEach((f, i) => {
      if (f.type === 'misroute') {
        const room = 1 - (spec.data.variants.find((v) => v.name === f.to)?.weight ?? 0) / weights
        if (f.fraction > room + 1e-12) ctx.addIssue({ code: 'custom', path: ['faults', i, 'fraction'], message: `at most ${Number(room.toPrecision(6))}: only units outside "${f.to}" (weight share ${Number((1 - room).toPrecision(6))}) can be misrouted to it` })
      }
      if (f.type !== 'telemetry_drop') return
      f.metrics?.forEach((m, j) => {
        if (!x.metrics[m]) ctx.addIssue({ code: 'custom', path: ['faults', i, 'metrics', j], message: `no model for metric "${m}" in metrics (has ${modelled.join(', ') || 'none'})` })
      })
    })
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
    /** What people do during the run (approve, resume, pause, rollback, cancel), in time order. */
    actions: z.array(ScriptedAction).default([]),
    /** Where the units come from: each experiment's own (default) or one shared population. */
    units: Units.default({ population: 'per-experiment' }),
    /** True interactions between pairs of experiments (scenario-parts.ts Interaction). */
    interactions: z.array(Interaction).default([]),
  })
  .superRefine((s, ctx) => {
    const ticks = Math.ceil(s.duration / s.tick)
    // A zero tick has its own refusal above.
    if (s.tick > 0 && ticks > LIMITS.scenarioTicks) {
      ctx.addIssue({ code: 'custom', path: ['tick'], message: `duration ÷ tick is ${ticks} steps; at most ${LIMITS.scenarioTicks} (use a longer tick)` })
    }
    const ids = s.experiments.map((x) => String(x.spec.id))
    s.actions.forEach((a, i) => {
      if (!ids.includes(a.experiment)) ctx.addIssue({ code: 'custom', path: ['actions', i, 'experiment'], message: `no experiment "${a.experiment}" in this scenario (has ${ids.join(', ')})` })
      if (a.at >= s.duration) ctx.addIssue({ code: 'custom', path: ['actions', i, 'at'], message: 'must be before the scenario ends (duration)' })
    })
    refineInteractions(s, ids, ctx)
    s.experiments.forEach((x, i) => x.faults.forEach((f, j) => {
      if (f.type !== 'shared_salt') return
      const at = ['experiments', i, 'faults', j, 'with']
      if (!ids.includes(f.with)) ctx.addIssue({ code: 'custom', path: at, message: `no experiment "${f.with}" in this scenario (has ${ids.join(', ')})` })
      else if (f.with === ids[i]) ctx.addIssue({ code: 'custom', path: at, message: 'must name another experiment (its own salt is no fault)' })
    }))
    refineControlCharacters({ name: s.name, start: s.start }, ctx)
  })

/** Each interaction names two of the scenario's experiments, a variant of each, and a metric both model. */
function refineInteractions(s: { experiments: Array<{ spec: Record<string, unknown>; metrics: Record<string, unknown> }>; interactions: Interaction[] }, ids: string[], ctx: z.RefinementCtx) {
  s.interactions.forEach((x, i) => {
    if (x.experiments[0] === x.experiments[1]) ctx.addIssue({ code: 'custom', path: ['interactions', i, 'experiments', 1], message: 'must be another experiment than experiments[0]' })
    x.experiments.forEach((id, k) => {
      const at = ids.indexOf(id)
      if (at < 0) {
        ctx.addIssue({ code: 'custom', path: ['interactions', i, 'experiments', k], message: `no experiment "${id}" in this scenario (has ${ids.join(', ')})` })
        return
      }
      const exp = s.experiments[at]!
      const spec = ExperimentSpecSchema.safeParse(exp.spec)
      const variants = spec.success ? spec.data.variants.map((v) => v.name) : []
      if (spec.success && !variants.includes(x.variants[k]!)) ctx.addIssue({ code: 'custom', path: ['interactions', i, 'variants', k], message: `experiment "${id}" has no variant "${x.variants[k]}" (has ${variants.join(', ')})` })
      const modelled = Object.keys(exp.metrics)
      if (!modelled.includes(x.metric)) ctx.addIssue({ code: 'custom', path: ['interactions', i, 'metric'], message: `experiment "${id}" has no model for metric "${x.metric}" (has ${modelled.join(', ') || 'none'})` })
    })
  })
}

export type Scenario = z.infer<typeof ScenarioSchema>
export type ScenarioExperiment = z.infer<typeof ScenarioExperiment>
