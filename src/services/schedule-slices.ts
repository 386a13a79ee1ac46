/**
 * Long work on the event loop in bounded slices. Awaiting an in-memory store
 * resolves in a microtask, so a loop of 10,000 awaits never lets a request in;
 * these helpers hand the loop a turn (setImmediate: pending I/O runs first) once a
 * slice has run for `budgetMs`.
 */

export const DEFAULT_SLICE_MS = 8

export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/** Tracks time since the last turn given to the event loop. */
export class Slicer {
  private since = performance.now()

  constructor(private readonly budgetMs = DEFAULT_SLICE_MS) {}

  /** Gives the event loop a turn if this slice has used its budget. */
  async pause(): Promise<void> {
    if (performance.now() - this.since < this.budgetMs) return
    await yieldToEventLoop()
    this.since = performance.now()
  }

  /** Runs a stepwise computation (src/domain: a generator yielding between slices) to its end. */
  async run<T>(steps: Generator<void, T>): Promise<T> {
    for (;;) {
      const next = steps.next()
      if (next.done) return next.value
      await this.pause()
    }
  }
}
