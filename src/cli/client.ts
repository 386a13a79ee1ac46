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

type ErrorBody = { error?: { code?: string; message?: string; details?: { problems?: Array<{ path: string; message: string }> } } }

/**
 * A server's refusal as the CLI prints it: the message, then one `path: message` line per
 * problem (as `runway validate` prints them), never a raw body or a stack.
 */
export function errorMessage(body: unknown): string {
  const e = typeof body === 'object' && body !== null ? (body as ErrorBody).error : undefined
  if (!e) return typeof body === 'string' ? firstLine(body) : JSON.stringify(body)
  const problems = Array.isArray(e.details?.problems) ? e.details.problems : []
  const hint = e.code === 'UNAUTHENTICATED' ? [bearer ? '(check RUNWAY_TOKEN: it was refused)' : '(set RUNWAY_TOKEN to an API token: `runway token create`)'] : []
  return [`${e.message ?? 'error'}${e.code ? ` [${e.code}]` : ''}`, ...problems.map((p) => `${p.path}: ${p.message}`), ...hint].join('\n')
}

/** A non-JSON body (a proxy's HTML page): its first non-empty line, cut short. */
function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '(empty body)'
  return line.length > 200 ? `${line.slice(0, 200)}…` : line
}
