import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Jobs } from '../../src/ports/jobs.js'
import { waitFor } from '../support/wait.js'
import { uid } from './helpers.js'

export interface JobsHarness {
  jobs: Jobs
  /**
   * Lets `ms` of schedule time pass: moves a manual clock (firing what is due,
   * awaited) or, for an adapter on real time (BullMQ), simply waits.
   */
  advance(ms: number): Promise<void>
}

export interface JobsContractOptions {
  name: string
  /** A fresh adapter per test (a Redis-backed one may take a unique prefix). */
  create: () => Promise<JobsHarness>
  /** The schedule interval the tests use; real-time adapters want it short. */
  intervalMs?: number
  /** Runs an expected count may be off by (0 on a manual clock; ~1 on real time, e.g. an immediate first run). */
  tolerance?: number
}

type Run = { id: string; data: Record<string, unknown> }

export function runJobsContract({ name, create, intervalMs = 1_000, tolerance = 0 }: JobsContractOptions): void {
  const I = intervalMs

  describe(`Jobs contract: ${name}`, () => {
    let h: JobsHarness
    let closed: boolean
    let run: string
    let runs: Run[]

    beforeEach(async () => {
      run = uid()
      runs = []
      h = await create()
      closed = false
    })
    afterEach(async () => {
      if (!closed) await h.jobs.close()
    })

    const id = (label: string) => `ct-${run}-${label}`
    const jobName = (label = 'job') => `ct-${run}-${label}`
    /** Registers a handler that records each run; `data.id` says which schedule it came from. */
    const recordRuns = (label = 'job') =>
      h.jobs.register(jobName(label), async (data) => {
        runs.push({ id: String(data.id), data })
      })
    const count = (scheduleId: string, pred: (r: Run) => boolean = () => true) => runs.filter((r) => r.id === scheduleId && pred(r)).length
    const ours = async () => (await h.jobs.listSchedules()).filter((s) => s.startsWith(`ct-${run}-`)).sort()
    const about = (actual: number, expected: number) => {
      expect(actual).toBeGreaterThanOrEqual(expected - tolerance)
      expect(actual).toBeLessThanOrEqual(expected + tolerance)
    }

    it('runs a registered handler every interval with its schedule’s data', async () => {
      recordRuns()
      const data = { id: id('a'), experimentId: 'exp-1', window: { minutes: 5 }, tags: ['x', 'y'], dryRun: false }
      await h.jobs.upsertSchedule(id('a'), jobName(), I, data)
      await h.advance(3.5 * I)
      about(count(id('a')), 3)
      for (const r of runs) expect(r.data).toEqual(data)
    })

    it('schedules of one job name run independently, each with its own data', async () => {
      recordRuns()
      await h.jobs.upsertSchedule(id('a'), jobName(), I, { id: id('a'), experimentId: 'exp-a' })
      await h.jobs.upsertSchedule(id('b'), jobName(), 2 * I, { id: id('b'), experimentId: 'exp-b' })
      await h.advance(4.5 * I)
      about(count(id('a')), 4)
      about(count(id('b')), 2)
      expect(runs.filter((r) => r.id === id('a')).every((r) => r.data.experimentId === 'exp-a')).toBe(true)
      expect(runs.filter((r) => r.id === id('b')).every((r) => r.data.experimentId === 'exp-b')).toBe(true)
    })

    it('upsert replaces a schedule: new data and interval, no runs of the old one, no duplicates', async () => {
      recordRuns()
      await h.jobs.upsertSchedule(id('a'), jobName(), I, { id: id('a'), v: 1 })
      await h.advance(1.5 * I)
      about(count(id('a'), (r) => r.data.v === 1), 1)
      await h.jobs.upsertSchedule(id('a'), jobName(), 2 * I, { id: id('a'), v: 2 })
      const oldRuns = count(id('a'), (r) => r.data.v === 1)
      await h.advance(6.5 * I)
      expect(count(id('a'), (r) => r.data.v === 1)).toBeLessThanOrEqual(oldRuns + tolerance)
      about(count(id('a'), (r) => r.data.v === 2), 3)
      expect(await ours()).toEqual([id('a')])
    })

    it('upserting the same schedule again does not add a second one', async () => {
      recordRuns()
      for (let i = 0; i < 3; i++) await h.jobs.upsertSchedule(id('a'), jobName(), I, { id: id('a') })
      await h.advance(3.5 * I)
      about(count(id('a')), 3)
      expect(await ours()).toEqual([id('a')])
    })

    it('removeSchedule stops the runs and unlists it; removing an unknown id is harmless', async () => {
      recordRuns()
      await h.jobs.upsertSchedule(id('a'), jobName(), I, { id: id('a') })
      await h.jobs.upsertSchedule(id('b'), jobName(), I, { id: id('b') })
      await h.advance(1.5 * I)
      await h.jobs.removeSchedule(id('a'))
      const before = count(id('a'))
      about(before, 1)
      await h.advance(3 * I)
      expect(count(id('a'))).toBeLessThanOrEqual(before + tolerance)
      about(count(id('b')), 4)
      expect(await ours()).toEqual([id('b')])
      await expect(h.jobs.removeSchedule(id('never'))).resolves.toBeUndefined()
    })

    it('refuses ids containing ":" and schedules nothing for them', async () => {
      recordRuns()
      await expect(h.jobs.upsertSchedule(`${id('exp')}:eval`, jobName(), I, { id: 'bad' })).rejects.toThrow(/:/)
      await h.advance(2.5 * I)
      expect(runs).toEqual([])
      expect(await ours()).toEqual([])
    })

    it('a throwing handler does not stop later runs, nor other schedules', async () => {
      let calls = 0
      h.jobs.register(jobName('failing'), async () => {
        calls++
        throw new Error('job failed on purpose')
      })
      recordRuns()
      await h.jobs.upsertSchedule(id('bad'), jobName('failing'), I, { id: id('bad') })
      await h.jobs.upsertSchedule(id('good'), jobName(), I, { id: id('good') })
      await h.advance(3.5 * I)
      // A retry after failure may add attempts on a real-time adapter; it must never stop.
      expect(calls).toBeGreaterThanOrEqual(3 - tolerance)
      about(count(id('good')), 3)
      expect(await ours()).toEqual([id('bad'), id('good')])
    })

    it('listSchedules lists each live schedule once', async () => {
      recordRuns()
      expect(await ours()).toEqual([])
      for (const s of ['c', 'a', 'b', 'a']) await h.jobs.upsertSchedule(id(s), jobName(), 10 * I, { id: id(s) })
      expect(await ours()).toEqual([id('a'), id('b'), id('c')])
      await h.jobs.removeSchedule(id('b'))
      expect(await ours()).toEqual([id('a'), id('c')])
    })

    it('close waits for a run in progress to finish', async () => {
      let started = false
      let finished = false
      let release!: () => void
      const gate = new Promise<void>((r) => (release = r))
      h.jobs.register(jobName(), async () => {
        started = true
        await gate
        finished = true
      })
      await h.jobs.upsertSchedule(id('a'), jobName(), I, { id: id('a') })
      const passing = h.advance(1.5 * I) // a manual clock awaits the run, so it is not awaited here
      await waitFor(() => started, { what: 'the run to start', timeoutMs: 30 * I + 10_000 })
      const closing = h.jobs.close().then(() => finished)
      closed = true
      // Give a close that does not wait every chance to resolve first.
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
      release()
      expect(await closing).toBe(true)
      await passing
    })

    it('close stops every schedule', async () => {
      recordRuns()
      await h.jobs.upsertSchedule(id('a'), jobName(), I, { id: id('a') })
      await h.advance(1.5 * I)
      await h.jobs.close()
      closed = true
      const before = runs.length
      about(before, 1)
      await h.advance(3 * I)
      expect(runs.length).toBeLessThanOrEqual(before + tolerance)
    })
  })
}
