import { type Job, Queue, Worker } from 'bullmq'
import type { RedisOptions } from 'ioredis'
import type { JobHandler, Jobs } from '../../ports/jobs.js'

export interface BullmqJobsOptions {
  /** `redis://[user:pass@]host:port[/db]` (or `rediss://`), or ioredis options. BullMQ opens its own connections from it. */
  connection: string | RedisOptions
  /** One queue carries every job name of a deployment; all its workers register the same handlers. */
  queueName: string
  /** Redis key prefix (BullMQ's default is `bull`); tests give each run its own. */
  prefix?: string
  /** Jobs one worker runs at the same time. */
  concurrency?: number
  /** A handler threw, or a job arrived with no handler; or a queue/worker connection error (id '' then). */
  onError: (error: unknown, job: { id: string; name: string }) => void
  /** Observes each run as it starts (metrics, logs, and the duplicate-run tests). */
  onRun?: (run: JobRun) => void
}

/** One run of a scheduled job, as this process starts it. */
export interface JobRun {
  /** BullMQ's job id: `repeat:<scheduleId>:<slot ms>` for scheduled runs, unique per slot. */
  jobId: string
  scheduleId: string
  name: string
  /** The slot (epoch ms) the scheduler created this run for. */
  scheduledAt: number
  /** Starts of this job so far, this one included: above 1 means a retry or a stalled-job recovery. */
  attempt: number
}

/** Finished jobs kept for inspection; bounded so a schedule running for months does not grow Redis without end. */
const KEEP_FINISHED = { count: 200 }

/** ioredis options from a redis:// URL, so BullMQ can open (and later close) connections it owns. */
export function redisOptionsFromUrl(url: string): RedisOptions {
  const u = new URL(url)
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`not a redis:// URL: ${url}`)
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0
  if (!Number.isInteger(db) || db < 0) throw new Error(`bad database number in ${url}`)
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  }
}

/**
 * Repeating jobs on BullMQ: one job scheduler per schedule id, so however many
 * processes upsert the same id there is one schedule, and however many workers
 * listen each run is taken by one of them (at-least-once: a worker that dies
 * mid-job leaves it to be retried when its lock expires; handlers are idempotent).
 *
 * A process that only schedules (API, controller) never calls `register` and so
 * opens no worker; a pure worker process registers handlers and never schedules.
 */
export class BullmqJobs implements Jobs {
  private readonly connection: RedisOptions
  private readonly queue: Queue
  private readonly handlers = new Map<string, JobHandler>()
  private worker: Worker | null = null
  private closed = false

  constructor(private readonly options: BullmqJobsOptions) {
    this.connection = typeof options.connection === 'string' ? redisOptionsFromUrl(options.connection) : options.connection
    this.queue = new Queue(options.queueName, { connection: this.connection, ...this.prefixOption() })
    // Without a listener an 'error' event would throw; connection trouble is reported, ioredis reconnects.
    this.queue.on('error', (error) => options.onError(error, { id: '', name: 'queue' }))
  }

  private prefixOption(): { prefix?: string } {
    return this.options.prefix ? { prefix: this.options.prefix } : {}
  }

  register(name: string, handler: JobHandler): void {
    if (this.closed) throw new Error('BullmqJobs is closed')
    this.handlers.set(name, handler)
    // The worker starts with the first handler: a process with no handlers takes no jobs it could not run.
    this.worker ??= this.startWorker()
  }

  private startWorker(): Worker {
    const worker = new Worker(this.options.queueName, (job) => this.process(job), {
      connection: this.connection,
      concurrency: this.options.concurrency ?? 1,
      ...this.prefixOption(),
    })
    worker.on('error', (error) => this.options.onError(error, { id: '', name: 'worker' }))
    return worker
  }

  private async process(job: Job): Promise<void> {
    // Jobs made by a scheduler carry its id as repeatJobKey; that is the id callers know.
    const ref = { id: job.repeatJobKey ?? job.id ?? '', name: job.name }
    const jobId = job.id ?? ''
    const slot = /:(\d+)$/.exec(jobId)?.[1]
    this.options.onRun?.({
      jobId,
      scheduleId: ref.id,
      name: job.name,
      scheduledAt: slot ? Number(slot) : job.timestamp + (job.opts.delay ?? 0),
      attempt: job.attemptsStarted,
    })
    const handler = this.handlers.get(job.name)
    if (!handler) {
      const error = new Error(`no handler registered for job ${job.name}`)
      this.options.onError(error, ref)
      throw error
    }
    try {
      await handler(job.data as Record<string, unknown>)
    } catch (error) {
      // Reported here, then rethrown so BullMQ marks the job failed; the scheduler's next run is already queued.
      this.options.onError(error, ref)
      throw error
    }
  }

  async upsertSchedule(id: string, name: string, everyMs: number, data: Record<string, unknown>): Promise<void> {
    // BullMQ builds job ids as `repeat:<id>:<millis>`; a ':' in the id would make them ambiguous.
    if (id.includes(':')) throw new Error(`job schedule id must not contain ':' (${id})`)
    if (!Number.isInteger(everyMs) || everyMs <= 0) throw new Error(`job schedule interval must be a positive integer of ms (${everyMs})`)
    await this.queue.upsertJobScheduler(
      id,
      { every: everyMs },
      { name, data, opts: { attempts: 1, removeOnComplete: KEEP_FINISHED, removeOnFail: KEEP_FINISHED } },
    )
  }

  async removeSchedule(id: string): Promise<void> {
    // Also removes the schedule's next (delayed) job; false for an unknown id, which is fine.
    await this.queue.removeJobScheduler(id)
  }

  async listSchedules(): Promise<string[]> {
    const schedulers = await this.queue.getJobSchedulers(0, -1, true)
    return [...new Set(schedulers.map((s) => s.id ?? s.key))].sort()
  }

  /** Stops this process taking jobs (waiting for the ones it runs) and closes its connections; schedules stay in Redis. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.worker?.close()
    await this.queue.close()
  }
}
