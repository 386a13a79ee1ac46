import type { Redis } from 'ioredis'
import { RedisStateStore } from '../../src/adapters/state/redis-state.js'
import type { StateStore } from '../../src/ports/state-store.js'
import { connectRedis, deletePrefix, testPrefix } from '../support/redis.js'
import { requireRedis } from '../support/services.js'
import { runStateStoreContract } from './state-store.contract.js'

// Fails the file at once, naming the command that starts Redis, when REDIS_URL is unset.
requireRedis()

/** Each store's connection and prefix, so dispose can delete its keys and close it. */
const open = new Map<StateStore, { redis: Redis; prefix: string }>()

runStateStoreContract({
  name: 'Redis (RedisStateStore)',
  create: async () => {
    const redis = connectRedis()
    const prefix = testPrefix('state')
    const store = new RedisStateStore({ redis, prefix })
    open.set(store, { redis, prefix })
    return store
  },
  dispose: async (store) => {
    const entry = open.get(store)
    if (!entry) return
    open.delete(store)
    await deletePrefix(entry.redis, entry.prefix)
    await entry.redis.quit()
  },
})
