import { z } from 'zod'
import { BUCKETS, murmur3 } from './assignment.js'
import { Slug, TargetingRule } from './experiment.js'
import { type ExperimentRecord, exposureOf } from './experiment-record.js'
import { LifecycleState } from './lifecycle.js'
import { parseWith } from './validation.js'

/**
 * The gate config: everything an SDK needs to assign locally, exactly what the
 * server's gate reads (state, step, exposure, allocation, variants, targeting).
 *
 * Tenancy: the tenant is the experiment's namespace. Namespaces already salt the
 * layer hash, so two tenants' experiments never share traffic; a config built
 * for tenant T holds only namespace T, and an SDK for T refuses anything else.
 */
export const GateExperiment = z.object({
  id: Slug,
  namespace: Slug,
  layer: Slug,
  state: LifecycleState,
  /** Index into the rollout steps; exposure is already resolved from it. */
  step: z.number().int().nonnegative(),
  /** Percent of the allocation exposed now: 0 unless running. */
  exposure: z.number().min(0).max(100),
  allocation: z.object({ start: z.number().int().min(0).max(BUCKETS - 1), size: z.number().int().min(1).max(BUCKETS) }).nullable(),
  variants: z.array(z.object({ name: Slug, weight: z.number().gt(0) })).min(2),
  targeting: z.array(TargetingRule),
})
export type GateExperiment = z.infer<typeof GateExperiment>

export const GateConfigSchema = z
  .object({
    /**
     * Σ ledgerSeq over the tenant's experiments: every transition bumps it, it survives a
     * restart (the ledger is replayed) and every API replica computes the same number.
     */
    version: z.number().int().nonnegative(),
    generatedAt: z.number().int(),
    /** null: every namespace (a service that serves many tenants). */
    tenant: Slug.nullable(),
    experiments: z.array(GateExperiment),
    /** murmur3 of the canonical body (version, tenant, experiments): detects altered or spliced pushes. */
    checksum: z.string().regex(/^[0-9a-f]{8}$/),
  })
  .superRefine((c, ctx) => {
    const ids = new Set<string>()
    c.experiments.forEach((e, i) => {
      if (ids.has(e.id)) ctx.addIssue({ code: 'custom', path: ['experiments', i, 'id'], message: `duplicate experiment "${e.id}"` })
      ids.add(e.id)
      if (c.tenant !== null && e.namespace !== c.tenant) ctx.addIssue({ code: 'custom', path: ['experiments', i, 'namespace'], message: `belongs to tenant "${e.namespace}", not "${c.tenant}"` })
      if (e.allocation && e.allocation.start + e.allocation.size > BUCKETS) ctx.addIssue({ code: 'custom', path: ['experiments', i, 'allocation'], message: 'runs past the last bucket' })
      if (new Set(e.variants.map((v) => v.name)).size !== e.variants.length) ctx.addIssue({ code: 'custom', path: ['experiments', i, 'variants'], message: 'duplicate variant name' })
    })
    if (c.checksum !== gateChecksum(c)) ctx.addIssue({ code: 'custom', path: ['checksum'], message: 'does not match the content' })
  })
export type GateConfig = z.infer<typeof GateConfigSchema>

/** States a service must know about: starting soon, exposing, or told to stop exposing. */
const PUBLISHED: ReadonlySet<string> = new Set(['scheduled', 'running', 'paused', 'completed', 'rolled_back', 'cancelled', 'expired'])

/**
 * Whether a transition can change what a gate config lists. Enqueues, refusals
 * and cancels of queued experiments cannot: rebuilding for them would copy every
 * record on the enqueue path for nothing.
 */
export function changesGateConfig(event: { from: string | null; to: string }): boolean {
  return PUBLISHED.has(event.to) || (event.from !== null && PUBLISHED.has(event.from))
}

/** JSON with keys sorted at every level: the same content always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined)
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

export function gateChecksum(c: Pick<GateConfig, 'version' | 'tenant' | 'experiments'>): string {
  return murmur3(canonicalJson({ version: c.version, tenant: c.tenant, experiments: c.experiments })).toString(16).padStart(8, '0')
}

export function toGateExperiment(r: ExperimentRecord): GateExperiment {
  return {
    id: r.spec.id,
    namespace: r.spec.namespace,
    layer: r.spec.layer,
    state: r.state,
    step: r.step,
    exposure: exposureOf(r),
    allocation: r.allocation ? { start: r.allocation.start, size: r.allocation.size } : null,
    variants: r.spec.variants.map((v) => ({ name: v.name, weight: v.weight })),
    targeting: r.spec.targeting.map((t) => ({ attribute: t.attribute, op: t.op, values: [...t.values] })),
  }
}

/** Pure: the config of one tenant (or all, with null) from the live records. */
export function buildGateConfig(input: { records: ReadonlyArray<ExperimentRecord>; tenant: string | null; now: number }): GateConfig {
  const mine = input.records.filter((r) => input.tenant === null || r.spec.namespace === input.tenant)
  const version = mine.reduce((s, r) => s + r.ledgerSeq, 0)
  const experiments = mine
    .filter((r) => PUBLISHED.has(r.state))
    .map(toGateExperiment)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  const body = { version, tenant: input.tenant, experiments }
  return { version, generatedAt: input.now, tenant: input.tenant, experiments, checksum: gateChecksum(body) }
}

export type GateConfigCheck = { ok: true; config: GateConfig } | { ok: false; problems: string[] }

/** What an SDK does with a push: schema, tenant and checksum, or the reasons it was refused. */
export function checkGateConfig(raw: unknown, expectedTenant: string | null | undefined): GateConfigCheck {
  const parsed = parseWith(GateConfigSchema, raw)
  if (!parsed.ok) return { ok: false, problems: parsed.problems.map((p) => `${p.path || '(root)'}: ${p.message}`) }
  if (expectedTenant !== undefined && parsed.value.tenant !== expectedTenant) {
    return { ok: false, problems: [`tenant: config is for ${parsed.value.tenant ?? 'all tenants'}, this client is for ${expectedTenant ?? 'all tenants'}`] }
  }
  return { ok: true, config: parsed.value }
}

/** Experiment ids whose evaluation may differ between two configs (added, removed or changed). */
export function changedExperiments(before: GateConfig | null, after: GateConfig): string[] {
  const old = new Map((before?.experiments ?? []).map((e) => [e.id, canonicalJson(e)]))
  const changed: string[] = []
  for (const e of after.experiments) {
    if (old.get(e.id) !== canonicalJson(e)) changed.push(e.id)
    old.delete(e.id)
  }
  return [...changed, ...old.keys()].sort()
}
