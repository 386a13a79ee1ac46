/**
 * Waiting on a condition instead of sleeping: a test on a loaded 2-core CI machine must not
 * depend on how long something takes, only on its happening within a generous bound.
 */
export interface WaitOptions {
  /** give up after this long (default 10 s) and throw, naming `what` */
  timeoutMs?: number
  /** what is awaited, for the error message */
  what: string
  /** pause between checks (default 25 ms) */
  intervalMs?: number
  /** extra text for the error message, e.g. a child process's log (read when the wait fails) */
  detail?: () => string
}

/**
 * Polls `check` until it returns a value other than `false`, `null` or `undefined`, and
 * returns that value. A check that throws counts as not yet (its last error is reported).
 */
export async function waitFor<T>(check: () => T | Promise<T>, opts: WaitOptions): Promise<Exclude<T, false | null | undefined>> {
  const timeoutMs = opts.timeoutMs ?? 10_000
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const value = await check()
      if (value !== false && value !== null && value !== undefined) return value as Exclude<T, false | null | undefined>
      last = undefined
    } catch (error) {
      last = error
    }
    if (Date.now() >= deadline) {
      const why = last instanceof Error ? `; last error: ${last.message}` : ''
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what}${why}${opts.detail ? `\n${opts.detail()}` : ''}`)
    }
    await new Promise((resolve) => setTimeout(resolve, opts.intervalMs ?? 25))
  }
}

/** Resolves when an HTTP server answers `GET <url>/healthz` with 2xx. */
export function waitHealthy(url: string, opts: Partial<WaitOptions> = {}): Promise<true> {
  return waitFor(() => fetch(`${url}/healthz`).then((r) => r.ok, () => false), { timeoutMs: 30_000, intervalMs: 100, what: `${url}/healthz`, ...opts })
}
