import { SystemClock } from '../../src/adapters/clock/system-clock.js'
import { sleep } from './helpers.js'
import { runClockContract } from './clock.contract.js'

runClockContract({ name: 'SystemClock (real time)', create: async () => ({ clock: new SystemClock(), advance: sleep }), intervalMs: 100, tolerance: 1 })
