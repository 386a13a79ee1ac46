import type { SyntheticEvent } from './traffic.js'

export interface LedgerEntry {
  at: number
  from: string | null
  to: string
  step: number
  exposure: number
  actor: { type: string; id: string }
  reason: string
}

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
  /** Bearer token for a server that requires authentication (RUNWAY_TOKEN). */
  token?: string | null
}

type Endpoint = Pick<SimulationTarget, 'baseUrl' | 'token'>

const authorization = (t: Endpoint): Record<string, string> => (t.token ? { authorization: `Bearer ${t.token}` } : {})

async function call(t: Endpoint, path: string, init: RequestInit = {}): Promise<Record<string, unknown>> {
  const url = `${t.baseUrl}${path}`
  const res = await fetch(url, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), ...authorization(t) } })
  const body = (await res.json()) as Record<string, unknown>
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url} answered ${res.status}: ${JSON.stringify(body).slice(0, 500)}`)
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

export async function experimentStates(t: Endpoint): Promise<Array<{ id: string; state: string; step: number; exposure: number }>> {
  return (await call(t, '/v1/experiments')).experiments as Array<{ id: string; state: string; step: number; exposure: number }>
}

export async function ledgerOf(t: Endpoint, id: string): Promise<LedgerEntry[]> {
  return (await call(t, `/v1/experiments/${encodeURIComponent(id)}`)).ledger as LedgerEntry[]
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
