import { ManualClock } from '../../src/adapters/clock/manual-clock.js'
import { SystemClock } from '../../src/adapters/clock/system-clock.js'
import { InProcessJobs } from '../../src/adapters/jobs/in-process-jobs.js'
import { sleep } from './helpers.js'
import { runJobsContract } from './jobs.contract.js'

runJobsContract({
  name: 'in-process on a ManualClock',
  create: async () => {
    const clock = new ManualClock(Date.UTC(2025, 0, 1))
    return { jobs: new InProcessJobs(clock, () => {}), advance: (ms) => clock.advanceTo(clock.now() + ms) }
  },
})

// The same suite on real time, as a BullMQ adapter will run it.
runJobsContract({
  name: 'in-process on the SystemClock (real time)',
  create: async () => ({ jobs: new InProcessJobs(new SystemClock(), () => {}), advance: sleep }),
  intervalMs: 100,
  tolerance: 1,
})
