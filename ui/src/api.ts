/** The API client of the web UI: same origin, the person's token from sessionStorage only (never localStorage, never a cookie). */
const TOKEN_KEY = 'runway.token'

export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (t: string) => sessionStorage.setItem(TOKEN_KEY, t),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  const t = token.get()
  if (t) headers.authorization = `Bearer ${t}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) })
  const text = await res.text()
  let data: unknown = null
  try {
    data = text === '' ? null : JSON.parse(text)
  } catch {
    data = text
  }
  if (!res.ok) {
    const e = (data as { error?: { code?: string; message?: string } } | null)?.error
    throw new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? `${method} ${path}: HTTP ${res.status}`)
  }
  return data as T
}

export const get = <T>(path: string) => call<T>('GET', path)
export const post = <T>(path: string, body: unknown) => call<T>('POST', path, body)

export async function getText(path: string): Promise<string> {
  const headers: Record<string, string> = {}
  const t = token.get()
  if (t) headers.authorization = `Bearer ${t}`
  const res = await fetch(path, { headers })
  if (!res.ok) throw new ApiError(res.status, `HTTP_${res.status}`, `GET ${path}: HTTP ${res.status}`)
  return res.text()
}

// The shapes the UI reads (a subset of each answer; see docs/ui.md for the routes).
export interface Experiment {
  id: string
  namespace: string
  layer: string
  kind: string
  owner: string
  priority: number
  state: string
  step: number
  steps: number
  exposure: number
  enqueuedAt: string
  startedAt: string | null
  endedAt: string | null
  pendingApproval: { verdictId: string; toStep: number } | null
  blockedBy: Array<{ rule: string; message: string }> | null
  /** Added by the outcomes work; absent until then. */
  result?: string | null
}
export interface LedgerEntry { seq: number; at: number; from: string | null; to: string; step: number; exposure: number; actor: { type: string; id: string }; reason: string; verdictId?: string | null }
export interface Reason { code: string; metric?: string; variant?: string; message: string; numbers: Record<string, number | null> }
export interface ComparisonEvidence { metric: string; role: string; variant: string; method: string; status: string; controlMean: number | null; treatmentMean: number | null; effect: number | null; ciLow: number | null; ciHigh: number | null; pValue: number | null; adjustedPValue: number | null; controlUnits: number; treatmentUnits: number }
export interface VerdictPoint { seq: number; at: number; decision: string; step: number; needsApproval: boolean; reasons: Reason[]; evidence: { comparisons: ComparisonEvidence[]; srm: { pValue: number | null; counts: number[]; test: string } } | null }
export interface ShownSql { name: string; params: Record<string, unknown>; sql: string }
export interface Session { auth: 'off' | 'required'; principal: { name: string; grants: Array<{ role: string; namespace: string }> } | null; act: string[]; approve: string[]; features: { slis: boolean; interference: boolean } }

export const canIn = (namespaces: string[], ns: string) => namespaces.includes('*') || namespaces.includes(ns)
