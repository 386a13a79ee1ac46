import type { Clock } from '../../ports/clock.js'
import type { JobHandler, Jobs } from '../../ports/jobs.js'

/** Repeating jobs on the injected clock, in this process. */
export class InProcessJobs implements Jobs {
  private readonly handlers = new Map<string, JobHandler>()
  private readonly schedules = new Map<string, () => void>()
  /** Runs in progress: close() waits for them, as BullMQ's worker does, so nothing closes the warehouse under a running job. */
  private readonly running = new Set<Promise<void>>()

  constructor(
    private readonly clock: Clock,
    private readonly onError: (error: unknown, job: { id: string; name: string }) => void,
  ) {}

  register(name: string, handler: JobHandler): void {
    this.handlers.set(name, handler)
  }

  async upsertSchedule(id: string, name: string, everyMs: number, data: Record<string, unknown>): Promise<void> {
    if (id.includes(':')) throw new Error(`job schedule id must not contain ':' (${id})`)
    this.schedules.get(id)?.()
    const cancel = this.clock.every(everyMs, async () => {
      const handler = this.handlers.get(name)
      if (!handler) return this.onError(new Error(`no handler registered for job ${name}`), { id, name })
      const run = (async () => {
        try {
          await handler(data)
        } catch (error) {
          this.onError(error, { id, name })
        }
      })()
      this.running.add(run)
      try {
        await run
      } finally {
        this.running.delete(run)
      }
    })
    this.schedules.set(id, cancel)
  }

  async removeSchedule(id: string): Promise<void> {
    this.schedules.get(id)?.()
    this.schedules.delete(id)
  }

  async listSchedules(): Promise<string[]> {
    return [...this.schedules.keys()].sort()
  }

  /**
   * Stops every schedule and resolves once the runs in progress have finished. Closing the embedded
   * engine under a running evaluation cycle aborted the process (SIGSEGV, or a libc++ assertion) at
   * the end of bench/freshness.ts with incremental reads, whose cycles are longer.
   */
  async close(): Promise<void> {
    for (const cancel of this.schedules.values()) cancel()
    this.schedules.clear()
    await Promise.allSettled([...this.running])
  }
}
