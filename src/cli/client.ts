import { CliExit } from './output.js'

let bearer: string | null = null

/** The API token every call sends (RUNWAY_TOKEN), set once by the entry point so that every command carries it. */
export function useToken(token: string | null): void {
  bearer = token
}

/** Calls a running Runway server; a refused connection says how to start one. */
export async function callServer(baseUrl: string, path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  let res: Response
  const headers = new Headers(init.headers)
  if (bearer && !headers.has('authorization')) headers.set('authorization', `Bearer ${bearer}`)
  try {
    res = await fetch(new URL(path, baseUrl), { ...init, headers })
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message
    throw new CliExit(2, `cannot reach a Runway server at ${baseUrl} (${cause}). Start one with \`runway serve\`, or pass --server URL (or set RUNWAY_URL).`)
  }
  const text = await res.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // Not JSON: keep the text.
  }
  return { status: res.status, body }
}

export function errorMessage(body: unknown): string {
  const e = (body as { error?: { code?: string; message?: string; details?: { problems?: Array<{ path: string; message: string }> } } }).error
  if (!e) return JSON.stringify(body)
  const problems = e.details?.problems ?? []
  const hint = e.code === 'UNAUTHENTICATED' ? [bearer ? '  (check RUNWAY_TOKEN: it was refused)' : '  (set RUNWAY_TOKEN to an API token: `runway token create`)'] : []
  return [e.message, ...problems.map((p) => `  ${p.path}: ${p.message}`), ...hint].join('\n')
}
