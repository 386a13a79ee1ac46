import { z } from 'zod'
import { ExperimentKind, MetricName, Slug } from './experiment.js'
import { BoundedDuration as Duration, refineControlCharacters } from './input-limits.js'
import { notificationsBlock } from './notify-policy.js'

/**
 * The policy file: rules that hold for every namespace (`defaults`) and per-namespace
 * overrides merged over them section by section. Everything has a default, and the
 * defaults reproduce the behaviour Runway had before policies were configurable
 * (owner, hypothesis and a guardrail required; layers up to 100%; nothing else),
 * except that PII masking at ingest is on.
 */

/** Spec fields the metadata rules can require. maxDuration always has a value; it is capped instead. */
export const RequirableField = z.enum(['owner', 'onCall', 'hypothesis', 'guardrails', 'services'])
export type RequirableField = z.infer<typeof RequirableField>

const Percent = z.number().gt(0).max(100)

const RFC3339 = z.iso.datetime({ offset: true, message: 'must be an RFC 3339 time with an offset, e.g. 2026-11-27T00:00:00Z' }).transform((s) => Date.parse(s))

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const
export const Weekday = z.enum(WEEKDAYS)
export const weekdayIndex = (d: z.infer<typeof Weekday>) => WEEKDAYS.indexOf(d)

/** "HH:MM" (UTC) → minutes after midnight; "24:00" ends a day. */
const ClockTime = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be HH:MM (00:00-24:00, UTC)')
  .transform((s) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3)))

export const FreezeWindow = z.union([
  z
    .strictObject({ name: z.string().min(1), start: RFC3339, end: RFC3339 })
    .refine((w) => w.end > w.start, { message: 'end must be after start', path: ['end'] }),
  z
    .strictObject({
      name: z.string().min(1),
      /** Repeats every week, in UTC. `to` at or before `from` runs past midnight into the next day. */
      weekly: z.strictObject({ days: z.array(Weekday).min(1), from: ClockTime, to: ClockTime }),
    }),
])
export type FreezeWindow = z.infer<typeof FreezeWindow>

// Sections carry no zod defaults: a namespace override must not reset what `defaults` set,
// so every layer is merged over BUILTIN_RULES in rulesFor instead.
const MetadataRules = z
  .strictObject({
    required: z.array(RequirableField),
    /** Longest maxDuration a spec may ask for; unset means no cap. */
    maxDuration: Duration,
  })
  .partial()

const QuotaRules = z
  .strictObject({
    /** Experiments holding traffic (scheduled, running, paused) per team within a namespace. */
    runningPerTeam: z.number().int().positive(),
    /** Experiments holding traffic per namespace. */
    runningPerNamespace: z.number().int().positive(),
  })
  .partial()

const LayerRules = z
  .strictObject({
    /** Percent of a layer's traffic experiments may hold together. */
    capacity: Percent,
    /** Per-layer capacity, by layer name. */
    overrides: z.record(Slug, Percent),
  })
  .partial()

const ErrorBudgetRules = z
  .strictObject({
    /** Burn rate (error rate ÷ (1 − objective)) above which nothing starts or ramps. */
    threshold: z.number().gt(0),
    window: Duration,
    /** Optional second, shorter window: both must burn above threshold (multiwindow form). */
    shortWindow: Duration,
  })
  .partial()

const DataRules = z
  .strictObject({
    /** Attribute names kept at ingest; unset keeps all, others are dropped and counted. */
    allowAttributes: z.array(z.string().min(1)),
    /** Attribute names masked wholesale (case-insensitive), on top of the detectors. */
    piiFields: z.array(z.string().min(1)),
    /** Runs the email / phone / card / IP detectors over attribute values. */
    maskPii: z.boolean(),
  })
  .partial()

const ApprovalRules = z
  .strictObject({
    /** An approval (of a ramp that waits for a person) must come from someone other than who enqueued the spec. */
    separateApprover: z.boolean(),
  })
  .partial()

const InterferenceRules = z
  .strictObject({
    /** What a flagged pair of experiments does (docs/interference.md): record it, pause the lower priority one, or also refuse overlapping starts. */
    action: z.enum(['flag', 'pause-lower-priority', 'block-start']),
    /** False discovery rate of the interaction flag (Benjamini–Hochberg across pairs × metrics). */
    fdr: z.number().gt(0).lt(1),
  })
  .partial()

/** After a telemetry pause: resume by itself once telemetry has been healthy for `hold` (never after a person's pause). */
const AutoResumeRules = z.strictObject({ enabled: z.boolean(), hold: Duration }).partial()

/** One layer of rules (the file's `defaults`, or a namespace's override): each names only what it sets. */
export const RulesLayerSchema = z
  .strictObject({
    metadata: MetadataRules,
    quotas: QuotaRules,
    layers: LayerRules,
    /** Freezes add up across layers: a namespace's freeze does not lift a global one. */
    freezes: z.array(FreezeWindow),
    /** Highest exposure per kind, in percent of the layer's traffic (trafficShare × step exposure). */
    maxExposure: z.partialRecord(ExperimentKind, Percent),
    errorBudget: ErrorBudgetRules,
    data: DataRules,
    approvals: ApprovalRules,
    interference: InterferenceRules,
    autoResume: AutoResumeRules,
  })
  .partial()
type RulesLayer = z.infer<typeof RulesLayerSchema>

/** The rules in force for one namespace, every field resolved. */
export interface NamespaceRules {
  metadata: { required: RequirableField[]; maxDuration?: number }
  quotas: { runningPerTeam?: number; runningPerNamespace?: number }
  layers: { capacity: number; overrides: Record<string, number> }
  freezes: FreezeWindow[]
  maxExposure: Partial<Record<z.infer<typeof ExperimentKind>, number>>
  errorBudget: { threshold: number; window: number; shortWindow?: number }
  data: { allowAttributes?: string[]; piiFields: string[]; maskPii: boolean }
  approvals: { separateApprover: boolean }
  interference: { action: 'flag' | 'pause-lower-priority' | 'block-start'; fdr: number }
  autoResume: { enabled: boolean; hold: number }
}

/** No policy file: what Runway did before policies were configurable, plus PII masking. */
export const BUILTIN_RULES: NamespaceRules = {
  metadata: { required: ['owner', 'hypothesis', 'guardrails'] },
  quotas: {},
  layers: { capacity: 100, overrides: {} },
  freezes: [],
  maxExposure: {},
  errorBudget: { threshold: 1.5, window: 15 * 60_000 },
  data: { piiFields: [], maskPii: true },
  approvals: { separateApprover: false },
  interference: { action: 'flag', fdr: 0.05 },
  autoResume: { enabled: true, hold: 15 * 60_000 },
}

/** A service's SLO: events of `metric` are outcomes, value 1 (true) meaning bad. */
export const ServiceSlo = z.strictObject({ metric: MetricName, objective: z.number().gt(0).lt(1) })
export type ServiceSlo = z.infer<typeof ServiceSlo>

export const PolicyConfigSchema = z
  .strictObject({
    defaults: RulesLayerSchema.default({}),
    namespaces: z.record(Slug, RulesLayerSchema).default({}),
    /** SLOs by service name; the error-budget gate checks only services listed here. */
    slos: z.record(z.string().min(1).max(128), ServiceSlo).default({}),
    /** Outgoing notifications: subscriptions by event type, maintenance windows (docs/notifications.md). */
    notifications: notificationsBlock(FreezeWindow).default({ maintenance: [] }),
  })
  // Freeze names, attribute names and service names end up in refusals and logs: one line each.
  .superRefine((config, ctx) => refineControlCharacters(config, ctx))
export type PolicyConfig = z.infer<typeof PolicyConfigSchema>
export type PolicyConfigInput = z.input<typeof PolicyConfigSchema>

/** No file: the built-in defaults. */
export const DEFAULT_POLICY_CONFIG: PolicyConfig = PolicyConfigSchema.parse({})

function merge(base: NamespaceRules, o: RulesLayer | undefined): NamespaceRules {
  if (!o) return base
  return {
    metadata: { ...base.metadata, ...o.metadata },
    quotas: { ...base.quotas, ...o.quotas },
    layers: { ...base.layers, ...o.layers, overrides: { ...base.layers.overrides, ...o.layers?.overrides } },
    freezes: [...base.freezes, ...(o.freezes ?? [])],
    maxExposure: { ...base.maxExposure, ...o.maxExposure },
    errorBudget: { ...base.errorBudget, ...o.errorBudget },
    data: { ...base.data, ...o.data },
    approvals: { ...base.approvals, ...o.approvals },
    interference: { ...base.interference, ...o.interference },
    autoResume: { ...base.autoResume, ...o.autoResume },
  }
}

/** The rules for one namespace: built-ins, then the file's defaults, then the namespace's override. */
export function rulesFor(config: PolicyConfig, namespace: string): NamespaceRules {
  return merge(merge(BUILTIN_RULES, config.defaults), config.namespaces[namespace])
}

export function layerCapacityOf(config: PolicyConfig, namespace: string, layer: string): number {
  const layers = rulesFor(config, namespace).layers
  return layers.overrides[layer] ?? layers.capacity
}
