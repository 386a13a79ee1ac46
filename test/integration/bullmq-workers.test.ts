import { afterAll, describe, expect, it } from 'vitest'
import { BullmqJobs } from '../../src/adapters/jobs/bullmq-jobs.js'
import { type ChildScript, runScript } from '../support/child-lines.js'
import { connectRedis, deletePrefix, testPrefix } from '../support/redis.js'
import { requireRedis } from '../support/services.js'
import { waitFor } from '../support/wait.js'

// Fails the file at once, naming the command that starts Redis, when REDIS_URL is unset.
const url = requireRedis()

/**
 * The distributed shape: this process only schedules (it registers no handler,
 * so it opens no worker) and two separate worker processes share one queue.
 * Every run is identified by its job id `repeat:<schedule>:<slot ms>`.
 */
describe('BullMQ: two worker processes on one queue', () => {
  const prefix = testPrefix('workers')
  const queueName = 'runway-jobs'
  const EVERY = 200
  const workers: ChildScript[] = []
  let scheduler: BullmqJobs | undefined

  afterAll(async () => {
    await scheduler?.close()
    await Promise.all(workers.map((w) => w.stop()))
    const redis = connectRedis()
    await deletePrefix(redis, prefix).finally(() => redis.quit())
  })

  type Run = { worker: string; jobId: string; scheduleId: string; scheduledAt: number; attempt: number; ranAt: number }
  const runs = (): Run[] => workers.flatMap((w) => w.lines.filter((l) => l.type === 'run') as unknown as Run[])

  it('each scheduled run is processed exactly once, by one of the two; removal stops a schedule; one survives the other', { timeout: 180_000 }, async () => {
    for (const tag of ['w1', 'w2']) {
      workers.push(runScript('./bullmq-worker-process.ts', { REDIS_URL: url, RUNWAY_JOBS_PREFIX: prefix, RUNWAY_JOBS_QUEUE: queueName, RUNWAY_WORKER_TAG: tag }))
    }
    await Promise.all(workers.map((w) => w.waitFor((l) => l.type === 'ready', 30_000)))

    scheduler = new BullmqJobs({ connection: url, queueName, prefix, onError: (error) => console.error('scheduler error', error) })
    const ids = ['evaluate-exp-a', 'evaluate-exp-b', 'evaluate-exp-c']
    // Upserted twice, as two controller replicas would on restart: still one schedule each.
    for (const id of [...ids, ...ids]) await scheduler.upsertSchedule(id, 'evaluate-experiment', EVERY, { experimentId: id })
    expect(await scheduler.listSchedules()).toEqual(ids)

    // Waits on what happened, not on time passing: runs are counted, so a slow machine only
    // makes the test take longer.
    const N = 12
    const count = (id: string, after = 0) => runs().filter((r) => r.scheduleId === id && r.scheduledAt > after).length
    await waitFor(() => ids.every((id) => count(id) >= N), { what: `${N} runs of every schedule`, timeoutMs: 60_000, detail: () => JSON.stringify(runs().slice(-5)) })
    await scheduler.removeSchedule('evaluate-exp-c')
    const removedAt = Date.now()
    // The schedules left keep running: three more slots each after the removal is long enough for
    // a removed schedule's next slot to have come, had it survived.
    await waitFor(() => ids.slice(0, 2).every((id) => count(id, removedAt + EVERY) >= 3), { what: 'runs after the removal', timeoutMs: 60_000 })

    const all = runs()
    const byJob = new Map<string, Run[]>()
    for (const r of all) byJob.set(r.jobId, [...(byJob.get(r.jobId) ?? []), r])
    const duplicates = [...byJob.values()].filter((rs) => rs.length > 1)
    const perWorker = Object.fromEntries(['w1', 'w2'].map((w) => [w, all.filter((r) => r.worker === w).length]))
    console.log(`bullmq workers: ${all.length} runs over ${byJob.size} scheduled slots, ${duplicates.length} duplicates; per worker ${JSON.stringify(perWorker)}`)

    expect(duplicates).toEqual([])
    expect(all.every((r) => r.attempt === 1)).toBe(true)
    expect(workers.flatMap((w) => w.lines.filter((l) => l.type === 'error'))).toEqual([])
    // Both processes take work: the queue is shared, not owned by the first to connect.
    expect(perWorker.w1).toBeGreaterThan(0)
    expect(perWorker.w2).toBeGreaterThan(0)

    for (const id of ids.slice(0, 2)) {
      const slots = all.filter((r) => r.scheduleId === id).map((r) => r.scheduledAt).sort((x, y) => x - y)
      // One run per interval from the first: no slot skipped, none doubled.
      expect(slots.length).toBeGreaterThanOrEqual(N + 3)
      for (let i = 1; i < slots.length; i++) expect(slots[i]! - slots[i - 1]!).toBe(EVERY)
    }
    // The removed schedule: at most one run already taken when it was removed, nothing after.
    const lateC = all.filter((r) => r.scheduleId === 'evaluate-exp-c' && r.scheduledAt > removedAt)
    expect(lateC).toEqual([])
    expect(await scheduler.listSchedules()).toEqual(ids.slice(0, 2))

    // One worker process leaves (a deploy, a scale-down): the other takes every later slot.
    await workers[0]!.stop()
    const stoppedAt = Date.now()
    await waitFor(() => count('evaluate-exp-a', stoppedAt) >= 5, { what: 'runs after w1 stopped', timeoutMs: 60_000 })
    const after = runs().filter((r) => r.scheduleId === 'evaluate-exp-a' && r.scheduledAt > stoppedAt)
    expect(after.every((r) => r.worker === 'w2')).toBe(true)
    const afterSlots = after.map((r) => r.scheduledAt)
    expect(new Set(afterSlots).size).toBe(afterSlots.length)
  })
})
