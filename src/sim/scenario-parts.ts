import { z } from 'zod'
import { Slug } from '../domain/experiment.js'
import { MetricName } from '../domain/metric.js'
import { BoundedDuration, LIMITS, OneLine } from '../domain/input-limits.js'

// The pieces of a scenario file (scenario.ts puts them together and checks how they refer to
// each other). Strict objects throughout: a mistyped key is refused with the nearest known key.

/**
 * Baseline model of one event metric the services report, per event:
 *   bernoulli  an outcome, true with probability `base`
 *   normal     a value, mean `mean`, standard deviation `sd`
 *   lognormal  a value exp(N(ln median, sigma²)): latency-like, right-skewed, median `median`
 */
export const MetricModel = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('bernoulli'), base: z.number().min(0).max(1) }),
  z.strictObject({ type: z.literal('normal'), mean: z.number(), sd: z.number().min(0) }),
  z.strictObject({ type: z.literal('lognormal'), median: z.number().positive(), sigma: z.number().min(0).max(10) }),
])

/** `until` after `from` (an empty window is a typo, not a fault). */
const windowOrdered = (from: number, until: number | undefined) => until === undefined || until > from

/**
 * A variant's true effect on one metric. A number is an absolute shift of the mean (bernoulli:
 * of the probability). The object form: each event's value becomes value × scale + shift, and a
 * `tail.fraction` of the events gets `tail.add` on top (a tail regression: with
 * shift = −fraction × add the mean stays as it was while p95 moves). The effect is present from
 * rollout step `fromStep` (1-based, as the timeline counts) and/or between `from` and `until`
 * (since scenario start); both must hold when both are given.
 */
export const EffectObject = z
  .strictObject({
    shift: z.number().default(0),
    scale: z.number().positive().default(1),
    tail: z.strictObject({ fraction: z.number().gt(0).max(1), add: z.number() }).optional(),
    fromStep: z.number().int().min(1).max(LIMITS.rolloutSteps).optional(),
    from: BoundedDuration.optional(),
    until: BoundedDuration.optional(),
  })
  .refine((e) => windowOrdered(e.from ?? 0, e.until), { message: 'must be after from', path: ['until'] })

export const Effect = z.union([z.number(), EffectObject])

export const Fault = z
  .discriminatedUnion('type', [
    /** The experiment's services send no telemetry from `at` (since scenario start) until `until` (default: the end). */
    z.strictObject({ type: z.literal('telemetry_stop'), at: BoundedDuration, until: BoundedDuration.optional() }),
    /** Between `from` and `until`, a `fraction` of the events of `metrics` (default: all) is lost on the way. */
    z.strictObject({
      type: z.literal('telemetry_drop'),
      from: BoundedDuration,
      until: BoundedDuration.optional(),
      fraction: z.number().gt(0).max(1),
      metrics: z.array(MetricName).min(1).optional(),
    }),
    /**
     * From `from` (until `until`), a `fraction` of the exposed units is misrouted: logged under
     * variant `to`, for all its events, though the gate assigned them another. Units the gate put
     * in `to` stay as they are, so the others are picked with probability fraction / (1 − w), w
     * the weight share of `to` (at most 1 − w). `to` may be a name the spec lacks (ingest
     * refuses those events as an unknown variant).
     */
    z.strictObject({ type: z.literal('misroute'), from: BoundedDuration, until: BoundedDuration.optional(), fraction: z.number().gt(0).max(1), to: Slug }),
    /**
     * A salting fault: from `from` (default the start, until `until`), the experiment's services
     * pick a unit's variant by hashing with experiment `with`'s variant salt instead of their
     * own (the gate still decides who is exposed). With equal weights the two experiments then
     * put every shared unit in the same arm: their assignments are dependent. The unit is
     * served and logged under that variant (interactions see it too); Runway's misrouting check
     * also sees the difference from the gate once the experiment has `minUnits`.
     */
    z.strictObject({ type: z.literal('shared_salt'), with: Slug, from: BoundedDuration.default(0), until: BoundedDuration.optional() }),
  ])
  .superRefine((f, ctx) => {
    const from = f.type === 'telemetry_stop' ? f.at : f.from
    if (!windowOrdered(from, f.until)) ctx.addIssue({ code: 'custom', path: ['until'], message: `must be after ${f.type === 'telemetry_stop' ? 'at' : 'from'}` })
  })

/**
 * Who the units are. `per-experiment` (default): every experiment gets its own new units each
 * tick, so no two experiments share one. `shared`: every experiment draws its arrivals from one
 * population of `size` units (distinct within a tick), so experiments in different layers of
 * one namespace see the same users (src/sim/population.ts).
 */
/** A shared population is materialised id by id per tick; beyond this a scenario is a typo. */
const MAX_POPULATION = 10_000_000

export const Units = z.discriminatedUnion('population', [
  z.strictObject({ population: z.literal('per-experiment') }),
  z.strictObject({ population: z.literal('shared'), size: z.number().int().positive().max(MAX_POPULATION) }),
])

/**
 * A true interaction between two experiments: units served `variants[0]` in `experiments[0]`
 * and `variants[1]` in `experiments[1]` get `effect` added to `metric` (a shift of the mean; of
 * the probability for a bernoulli metric), in the telemetry of both experiments. Only units
 * both experiments expose can have it: use a shared population.
 */
export const Interaction = z.strictObject({
  experiments: z.tuple([Slug, Slug]),
  variants: z.tuple([Slug, Slug]),
  metric: MetricName,
  effect: z.number().min(-1e9).max(1e9),
})

export const ACTIONS = ['approve', 'resume', 'pause', 'rollback', 'cancel'] as const

/**
 * A person acting on an experiment at `at` (since scenario start), through the same API a
 * person uses. A refused action (nothing to approve, not paused) is recorded in the summary;
 * it does not end the run.
 */
export const ScriptedAction = z.strictObject({
  at: BoundedDuration,
  experiment: Slug,
  action: z.enum(ACTIONS),
  reason: OneLine(1000).min(1, 'is required'),
})

export type MetricModel = z.infer<typeof MetricModel>
export type Effect = z.infer<typeof Effect>
export type EffectObject = z.infer<typeof EffectObject>
export type Fault = z.infer<typeof Fault>
export type ScriptedAction = z.infer<typeof ScriptedAction>
export type Units = z.infer<typeof Units>
export type Interaction = z.infer<typeof Interaction>
