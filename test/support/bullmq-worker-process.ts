/**
 * A pure worker process for the multi-worker tests: registers the handler,
 * schedules nothing, and prints one JSON line per run it starts on stdout.
 * Env: REDIS_URL, RUNWAY_JOBS_PREFIX, RUNWAY_JOBS_QUEUE, RUNWAY_WORKER_TAG.
 * Exits on SIGTERM after closing, or by itself after 120 s if nobody stops it.
 */
import { BullmqJobs } from '../../src/adapters/jobs/bullmq-jobs.js'

const env = (name: string): string => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set`)
  return value
}
const worker = env('RUNWAY_WORKER_TAG')
const emit = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ worker, ...line })}\n`)

const jobs = new BullmqJobs({
  connection: env('REDIS_URL'),
  queueName: env('RUNWAY_JOBS_QUEUE'),
  prefix: env('RUNWAY_JOBS_PREFIX'),
  concurrency: 1,
  onError: (error, job) => emit({ type: 'error', job, message: error instanceof Error ? error.message : String(error) }),
  onRun: (run) => emit({ type: 'run', ...run, ranAt: Date.now() }),
})
jobs.register('evaluate-experiment', async () => {
  // A little work, so two workers overlap in time the way real evaluations do.
  await new Promise((resolve) => setTimeout(resolve, 20))
})

let stopping = false
async function stop(code: number): Promise<void> {
  if (stopping) return
  stopping = true
  await jobs.close()
  emit({ type: 'closed' })
  process.exit(code)
}
process.on('SIGTERM', () => void stop(0))
// A bound on the process's life: a crashed test run must not leave workers behind.
setTimeout(() => void stop(1), 120_000)
emit({ type: 'ready' })
