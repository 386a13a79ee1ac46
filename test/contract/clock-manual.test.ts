import { ManualClock } from '../../src/adapters/clock/manual-clock.js'
import { runClockContract } from './clock.contract.js'

runClockContract({
  name: 'ManualClock',
  create: async () => {
    const clock = new ManualClock(Date.UTC(2025, 0, 1))
    return { clock, advance: (ms) => clock.advanceTo(clock.now() + ms) }
  },
})
