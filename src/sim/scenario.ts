import { z } from 'zod'
import { Duration } from '../domain/duration.js'
import { MetricName, Slug } from '../domain/experiment.js'

const MetricModel = z.discriminatedUnion('type', [
  z.object({ type: z.literal('bernoulli'), base: z.number().min(0).max(1) }),
  z.object({ type: z.literal('normal'), mean: z.number(), sd: z.number().min(0) }),
])

const Fault = z.discriminatedUnion('type', [
  /** The experiment's services stop sending telemetry at `at` (from scenario start). */
  z.object({ type: z.literal('telemetry_stop'), at: Duration }),
  /** From `from`, a fraction of exposed units is logged under variant `to` (skews the split). */
  z.object({ type: z.literal('misroute'), from: Duration, fraction: z.number().gt(0).max(1), to: Slug }),
])

export const ScenarioExperiment = z.object({
  /** The experiment spec, exactly as it would be enqueued. */
  spec: z.record(z.string(), z.unknown()),
  enqueueAt: Duration.default(0),
  traffic: z.object({
    /** Units arriving at the experiment's layer per simulated hour. */
    unitsPerHour: z.number().positive(),
    /** Events each exposed unit sends per metric. */
    eventsPerUnit: z.number().int().positive().default(1),
  }),
  /** Baseline model of each metric the services report. */
  metrics: z.record(MetricName, MetricModel),
  /** True effect per variant and metric: an absolute shift of the metric's mean. */
  effects: z.record(Slug, z.record(MetricName, z.number())).default({}),
  faults: z.array(Fault).default([]),
})

export const ScenarioSchema = z.object({
  name: z.string().min(1),
  seed: z.number().int().default(1),
  start: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 time').default('2026-01-05T00:00:00Z'),
  duration: Duration,
  /** Simulated time per step: traffic for the step is sent, then the clock advances. */
  tick: Duration.default(600_000),
  experiments: z.array(ScenarioExperiment).min(1),
})

export type Scenario = z.infer<typeof ScenarioSchema>
export type ScenarioExperiment = z.infer<typeof ScenarioExperiment>
