import { CliExit } from './output.js'

/** Calls a running Runway server; a refused connection says how to start one. */
export async function callServer(baseUrl: string, path: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  let res: Response
  try {
    res = await fetch(new URL(path, baseUrl), init)
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
  const e = (body as { error?: { message?: string; details?: { problems?: Array<{ path: string; message: string }> } } }).error
  if (!e) return JSON.stringify(body)
  const problems = e.details?.problems ?? []
  return [e.message, ...problems.map((p) => `  ${p.path}: ${p.message}`)].join('\n')
}
