import { useCallback, useEffect, useRef, useState } from 'preact/hooks'

export interface Loaded<T> { data: T | null; error: Error | null; reload: () => void; at: number | null }

/**
 * Loads with `fn` now and every `everyMs` (short polling keeps the views live without a
 * connection per tab on the server); keeps the last good data while a refresh fails.
 */
export function usePoll<T>(fn: () => Promise<T>, everyMs: number | null, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: Error | null; at: number | null }>({ data: null, error: null, at: null })
  const alive = useRef(true)
  // One request at a time: a tick while the last is still out is skipped. Without this a
  // route slower than the period (30 days of data) piles up requests on the server, each
  // slowing the next, and the first answer never arrives.
  const inFlight = useRef(false)
  const run = useCallback(() => {
    if (inFlight.current) return
    inFlight.current = true
    fn().then(
      (data) => { inFlight.current = false; if (alive.current) setState({ data, error: null, at: Date.now() }) },
      (error: Error) => { inFlight.current = false; if (alive.current) setState((s) => ({ ...s, error })) },
    )
  }, deps)
  useEffect(() => {
    alive.current = true
    run()
    const timer = everyMs === null ? null : setInterval(() => document.visibilityState === 'visible' && run(), everyMs)
    return () => {
      alive.current = false
      if (timer) clearInterval(timer)
    }
  }, [run, everyMs])
  return { ...state, reload: run }
}
