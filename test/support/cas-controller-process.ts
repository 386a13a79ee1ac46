/**
 * One "controller" for the CAS race: its own process and Redis connection,
 * flipping one experiment running ⇄ paused as fast as it can, then printing
 * one JSON line: the versions it wrote and how many conflicts it saw.
 * Env: REDIS_URL, RUNWAY_STATE_PREFIX, RUNWAY_EXPERIMENT_ID, RUNWAY_CONTROLLER, RUNWAY_ATTEMPTS.
 * Both controllers start writing at RUNWAY_START_AT (epoch ms), so their loops overlap.
 */
import { Redis } from 'ioredis'
import { RedisStateStore } from '../../src/adapters/state/redis-state.js'
import { transition } from '../../src/domain/experiment-record.js'

const env = (name: string): string => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set`)
  return value
}
const name = env('RUNWAY_CONTROLLER')
const id = env('RUNWAY_EXPERIMENT_ID')
const attempts = Number(env('RUNWAY_ATTEMPTS'))
const redis = new Redis(env('REDIS_URL'))
const store = new RedisStateStore({ redis, prefix: env('RUNWAY_STATE_PREFIX') })

await redis.ping()
process.stdout.write(`${JSON.stringify({ type: 'ready', name })}\n`)
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(env('RUNWAY_START_AT')) - Date.now())))

const written: number[] = []
let conflicts = 0
let badConflicts = 0
for (let i = 0; i < attempts; i++) {
  const current = await store.get(id)
  if (!current) throw new Error(`${id} is missing`)
  const moved = transition(current, {
    to: current.state === 'running' ? 'paused' : 'running',
    actor: { type: 'system', id: name },
    reason: `attempt ${i} by ${name}`,
    at: Date.now(),
  })
  if (!moved.ok) throw new Error(moved.message)
  const result = await store.put(moved.record, current.version)
  if (result.ok) written.push(moved.record.version)
  else {
    conflicts++
    // A conflict must name a newer version: the other controller's write.
    if (result.actualVersion === null || result.actualVersion <= current.version) badConflicts++
  }
}
process.stdout.write(`${JSON.stringify({ type: 'done', name, written, conflicts, badConflicts })}\n`)
await redis.quit()
