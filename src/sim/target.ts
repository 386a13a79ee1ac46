import type { SyntheticEvent } from './traffic.js'

export interface LedgerEntry {
  at: number
  from: string | null
  to: string
  step: number
  exposure: number
  actor: { type: string; id: string }
  reason: string
  /** Reason codes of the verdict or refusal behind the move (absent on servers that predate them). */
  codes?: string[]
  /** Set on the move that ends the experiment: shipped, no-effect-detected, regressed or stopped. */
  result?: string | null
}

/** A scripted person's action, as the API answered it. */
export type ActionOutcome = { ok: true } | { ok: false; status: number; message: string }

/**
 * Where a simulation sends its traffic and how its time moves. The default goes
 * through the public HTTP API, so the same simulation drives an embedded
 * runway or a distributed one (api, worker and controller processes).
 */
export interface SimulationTarget {
  baseUrl: string
  /** Moves simulated time to `t`: a manual clock advances; a real one is waited for. */
  advanceTo(t: number): Promise<void>
  assign(experimentId: string, unitIds: string[]): Promise<Array<{ exposed: boolean; variant: string | null }>>
  sendEvents(events: SyntheticEvent[]): Promise<{ accepted: number; rejected: number }>
  /** A person's action (approve, resume, pause, rollback, cancel) through the API. */
  act(experimentId: string, action: string, reason: string): Promise<ActionOutcome>
  /** Bearer token for a server that requires authentication (RUNWAY_TOKEN). */
  token?: string | null
}

type Endpoint = Pick<SimulationTarget, 'baseUrl' | 'token'>

const authorization = (t: Endpoint): Record<string, string> => (t.token ? { authorization: `Bearer ${t.token}` } : {})

class CallError extends Error {
  constructor(message: string, readonly status: number, readonly body: Record<string, unknown>) {
    super(message)
  }
}

async function call(t: Endpoint, path: string, init: RequestInit = {}): Promise<Record<string, unknown>> {
  const url = `${t.baseUrl}${path}`
  const res = await fetch(url, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), ...authorization(t) } })
  const body = (await res.json()) as Record<string, unknown>
  if (!res.ok) throw new CallError(`${init.method ?? 'GET'} ${url} answered ${res.status}: ${JSON.stringify(body).slice(0, 500)}`, res.status, body)
  return body
}

/** Assignment and ingest over HTTP (batched), time by the given function. */
export function httpTarget(baseUrl: string, advanceTo: (t: number) => Promise<void>, options: { batchSize?: number; token?: string | null } = {}): SimulationTarget {
  const batchSize = options.batchSize ?? 20_000
  const self: SimulationTarget = {
    baseUrl,
    token: options.token ?? null,
    advanceTo,
    async assign(experimentId, unitIds) {
      const out: Array<{ exposed: boolean; variant: string | null }> = []
      for (let i = 0; i < unitIds.length; i += 10_000) {
        const body = await call(self, '/v1/assign', { method: 'POST', body: JSON.stringify({ experimentId, units: unitIds.slice(i, i + 10_000) }), headers: { 'content-type': 'application/json' } })
        out.push(...(body.assignments as Array<{ exposed: boolean; variant: string | null }>))
      }
      return out
    },
    async sendEvents(events) {
      let accepted = 0
      let rejected = 0
      for (let b = 0; b < events.length; b += batchSize) {
        const chunk = events.slice(b, b + batchSize)
        const body = await call(self, '/v1/events', { method: 'POST', body: chunk.map((e) => JSON.stringify(e)).join('\n'), headers: { 'content-type': 'application/x-ndjson' } })
        accepted += Number(body.accepted)
        rejected += Number(body.rejected)
      }
      return { accepted, rejected }
    },
    async act(experimentId, action, reason) {
      try {
        await call(self, `/v1/experiments/${encodeURIComponent(experimentId)}/${action}`, { method: 'POST', body: JSON.stringify({ reason }), headers: { 'content-type': 'application/json' } })
        return { ok: true }
      } catch (error) {
        // A refusal (409: nothing to approve, not paused) is the scenario's outcome, not a failed run.
        if (error instanceof CallError && error.status >= 400 && error.status < 500) {
          const err = error.body.error as { code?: unknown; message?: unknown } | undefined
          return { ok: false, status: error.status, message: err?.message ? `${String(err.code ?? error.status)}: ${String(err.message)}` : error.message }
        }
        throw error
      }
    },
  }
  return self
}

/** Real time: wait until the wall clock reaches `t` (bounded by the scenario's own length). */
export const waitUntil = async (t: number) => {
  const ms = t - Date.now()
  if (ms > 0) await new Promise((r) => setTimeout(r, ms))
}

export async function enqueue(t: Endpoint, spec: unknown): Promise<void> {
  await call(t, '/v1/experiments', { method: 'POST', body: JSON.stringify(spec), headers: { 'content-type': 'application/json' } })
}

/** An experiment as the list answers it; `step` is 1-based there (the ledger's is 0-based). */
export interface ExperimentState {
  id: string
  state: string
  step: number
  exposure: number
  result?: string | null
}

export async function experimentStates(t: Endpoint): Promise<ExperimentState[]> {
  return (await call(t, '/v1/experiments')).experiments as ExperimentState[]
}

export async function ledgerOf(t: Endpoint, id: string): Promise<LedgerEntry[]> {
  return (await call(t, `/v1/experiments/${encodeURIComponent(id)}`)).ledger as LedgerEntry[]
}

/** One row of the interference job's latest run, as `simulate --json` reports it (docs/interference.md). */
export interface InterferenceEntry {
  experiments: [string, string]
  /** assignment (the χ² of independence; metric null) or interaction (one metric, one treatment × treatment). */
  kind: string
  metric: string | null
  variants: [string, string] | null
  units: number
  delta: number | null
  ci: [number, number] | null
  pValue: number | null
  adjustedP: number | null
  chiSquare: number | null
  status: string
  flagged: boolean
  /** What policy did about it: flagged, paused, or '' (not flagged). */
  action: string
}

interface ApiRow { a: string; b: string; kind: string; metric: string; variantA: string; variantB: string; units: number; delta: number | null; ci: [number, number] | null; pValue: number | null; adjustedP: number | null; chiSquare: number | null; status: string; action: string }

/** The latest interference run's rows ([] from a server without the interference API). */
export async function interferenceOf(t: Endpoint): Promise<InterferenceEntry[]> {
  let body: Record<string, unknown>
  try {
    body = await call(t, '/v1/interference')
  } catch (error) {
    if (error instanceof CallError && error.status === 404) return []
    throw error
  }
  const pairs = (body.pairs ?? []) as Array<{ rows: ApiRow[] }>
  return pairs.flatMap((p) => p.rows.map((r) => ({
    experiments: [r.a, r.b] as [string, string],
    kind: r.kind,
    metric: r.kind === 'assignment' ? null : r.metric,
    variants: r.kind === 'assignment' ? null : [r.variantA, r.variantB] as [string, string],
    units: r.units,
    delta: r.delta,
    ci: r.ci,
    pValue: r.pValue,
    adjustedP: r.adjustedP,
    chiSquare: r.chiSquare,
    status: r.status,
    flagged: r.status === 'flagged',
    action: r.action,
  })))
}

/** Sends the simulation's telemetry to Kafka instead of the HTTP ingest API. */
export function withTelemetrySender(
  target: SimulationTarget,
  send: (events: ReadonlyArray<Record<string, unknown>>) => Promise<void>,
): SimulationTarget {
  return {
    ...target,
    async sendEvents(events) {
      await send(events as unknown as ReadonlyArray<Record<string, unknown>>)
      // Kafka acknowledges receipt; validation happens at the consumer (dead letters there).
      return { accepted: events.length, rejected: 0 }
    },
  }
}
