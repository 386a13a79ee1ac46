export type JobHandler = (data: Record<string, unknown>) => Promise<void>

/** Scheduled, repeating jobs (evaluation per running experiment). At-least-once: handlers must be idempotent. */
export interface Jobs {
  /** Registers the code that runs jobs of this name. */
  register(name: string, handler: JobHandler): void
  /** Creates or replaces the repeating schedule `id`. Ids contain no ':'. */
  upsertSchedule(id: string, name: string, everyMs: number, data: Record<string, unknown>): Promise<void>
  removeSchedule(id: string): Promise<void>
  listSchedules(): Promise<string[]>
  close(): Promise<void>
}
