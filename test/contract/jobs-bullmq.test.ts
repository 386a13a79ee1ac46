import { afterAll } from 'vitest'
import { BullmqJobs } from '../../src/adapters/jobs/bullmq-jobs.js'
import { connectRedis, deletePrefix, testPrefix } from '../support/redis.js'
import { requireRedis } from '../support/services.js'
import { sleep } from './helpers.js'
import { runJobsContract } from './jobs.contract.js'

// Fails the file at once, naming the command that starts Redis, when REDIS_URL is unset.
const url = requireRedis()

/** Every test's BullMQ prefix: schedules outlive close() by design, so keys are deleted at the end. */
const prefixes: string[] = []

afterAll(async () => {
  const redis = connectRedis()
  try {
    for (const prefix of prefixes) await deletePrefix(redis, prefix)
  } finally {
    await redis.quit()
  }
})

runJobsContract({
  name: 'BullMQ on Redis (real time)',
  create: async () => {
    const prefix = testPrefix('jobs')
    prefixes.push(prefix)
    const jobs = new BullmqJobs({ connection: url, queueName: 'runway-jobs', prefix, onError: () => {} })
    return { jobs, advance: sleep }
  },
  // Long enough that Redis round trips (a few ms) are small against it; BullMQ runs an `every` schedule once at once.
  intervalMs: 300,
  tolerance: 1,
})
