/** Time, injected so that simulations can run in accelerated time. */
export interface Clock {
  now(): number
  /** Calls `fn` every `ms` until cancelled; a call is not overlapped by the next. */
  every(ms: number, fn: () => Promise<void>): () => void
}
