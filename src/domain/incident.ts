import { z } from 'zod'
import type { ExperimentSpec } from './experiment.js'
import type { PolicyFailure } from './policy.js'

/**
 * Incoming alerts (POST /v1/alerts/alertmanager) and incident mode. Pure: the payload
 * schema, which alerts name what, and the hold an open incident puts on its service.
 */
const Labels = z.record(z.string().max(256), z.string().max(4096))

/** One alert of Alertmanager's webhook payload (version 4). */
export const AlertmanagerAlert = z.strictObject({
  status: z.enum(['firing', 'resolved']),
  labels: Labels,
  annotations: Labels.default({}),
  startsAt: z.string(),
  endsAt: z.string().default(''),
  generatorURL: z.string().default(''),
  fingerprint: z.string().min(1).max(128),
})
export type AlertmanagerAlert = z.infer<typeof AlertmanagerAlert>

/** https://prometheus.io/docs/alerting/latest/configuration/#webhook_config */
export const AlertmanagerWebhook = z.strictObject({
  version: z.literal('4'),
  groupKey: z.string(),
  truncatedAlerts: z.number().int().min(0).default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: Labels,
  commonLabels: Labels,
  commonAnnotations: Labels,
  externalURL: z.string(),
  alerts: z.array(AlertmanagerAlert).max(1000),
})
export type AlertmanagerWebhook = z.infer<typeof AlertmanagerWebhook>

export const IncidentSchema = z.strictObject({
  fingerprint: z.string(),
  alertname: z.string(),
  /** The service the alert names ('' when it names an experiment only). */
  service: z.string(),
  experiment: z.string(),
  status: z.enum(['firing', 'resolved']),
  startedAt: z.number().int(),
  resolvedAt: z.number().int().nullable(),
  summary: z.string(),
  /** Experiments this incident paused (resumed together when it resolves). */
  paused: z.array(z.string()),
})
export type Incident = z.infer<typeof IncidentSchema>

/** What an alert names: a service label, an experiment label, or neither (then it is ignored). */
export function alertTarget(a: Pick<AlertmanagerAlert, 'labels'>): { service: string; experiment: string } | null {
  const service = (a.labels.service ?? '').trim()
  const experiment = (a.labels.experiment ?? '').trim()
  return service || experiment ? { service, experiment } : null
}

/** Whether an open incident covers an experiment: it names the experiment, or a service the spec declares. */
export function covers(i: Pick<Incident, 'service' | 'experiment' | 'status'>, spec: Pick<ExperimentSpec, 'id' | 'services'>): boolean {
  if (i.status !== 'firing') return false
  return (i.experiment !== '' && i.experiment === spec.id) || (i.service !== '' && spec.services.includes(i.service))
}

/** The policy refusal while an incident is open: no start, no ramp. */
export function incidentHolds(incidents: ReadonlyArray<Incident>, spec: Pick<ExperimentSpec, 'id' | 'services'>): PolicyFailure[] {
  return incidents
    .filter((i) => covers(i, spec))
    .map((i) => ({
      rule: 'incident',
      path: i.service ? `services[${spec.services.indexOf(i.service)}]` : 'id',
      message: `${i.service ? `service ${i.service}` : `experiment ${i.experiment}`} is in incident mode: alert ${i.alertname} firing since ${new Date(i.startedAt).toISOString()}`,
    }))
}

/** The reason on the ledger when an incident pauses an experiment. */
export const pauseReason = (i: Pick<Incident, 'alertname' | 'service' | 'experiment'>) =>
  `incident: alert ${i.alertname} firing on ${i.service ? `service ${i.service}` : `experiment ${i.experiment}`}`

/**
 * Whether the policy lets an incident's end resume what it paused. Reads `autoResume`
 * of the namespace's rules when present (true, or an object whose `incident` is not false).
 */
export function autoResumeAllowed(rules: unknown): boolean {
  const v = (rules as { autoResume?: unknown } | null)?.autoResume
  if (v === true) return true
  if (v && typeof v === 'object') {
    const o = v as { enabled?: unknown; incident?: unknown }
    return o.enabled !== false && o.incident !== false
  }
  return false
}
