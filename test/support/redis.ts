import { Redis } from 'ioredis'
import { uid } from '../contract/helpers.js'
import { requireRedis } from './services.js'

/** A key prefix of its own per test, so tests share one Redis without seeing each other. */
export const testPrefix = (label = 'rw') => `test-${label}-${uid()}`

/** A new connection to the test Redis (REDIS_URL); fails with how to start it when unset. */
export function connectRedis(): Redis {
  return new Redis(requireRedis(), { maxRetriesPerRequest: 3, lazyConnect: false })
}

/** Deletes every key under `prefix:` (SCAN, bounded by the number of keys there are). */
export async function deletePrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0'
  let deleted = 0
  for (let pass = 0; pass < 100_000; pass++) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
    if (keys.length > 0) deleted += await redis.unlink(...keys)
    cursor = next
    if (cursor === '0') break
  }
  return deleted
}
