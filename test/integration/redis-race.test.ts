import type { Redis } from 'ioredis'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { RedisStateStore, subscribeChanges } from '../../src/adapters/state/redis-state.js'
import { type ExperimentRecord, transition } from '../../src/domain/experiment-record.js'
import type { PutResult } from '../../src/ports/state-store.js'
import { runScript } from '../support/child-lines.js'
import { runningRecord, specFixture, T0 } from '../support/fixtures.js'
import { connectRedis, deletePrefix, testPrefix } from '../support/redis.js'
import { requireRedis } from '../support/services.js'

// Fails the file at once, naming the command that starts Redis, when REDIS_URL is unset.
requireRedis()

/** running ⇄ paused: a move that is always valid, so every round is a real lifecycle transition. */
function flip(record: ExperimentRecord, controller: string, round: number): ExperimentRecord {
  const to = record.state === 'running' ? 'paused' : 'running'
  const moved = transition(record, { to, actor: { type: 'system', id: controller }, reason: `round ${round} by ${controller}`, at: T0 + round })
  if (!moved.ok) throw new Error(moved.message)
  return moved.record
}

describe('Redis state: two controllers on separate connections', () => {
  let prefix: string
  let connections: Redis[]
  const connect = () => {
    const c = connectRedis()
    connections.push(c)
    return c
  }

  beforeEach(() => {
    prefix = testPrefix('race')
    connections = []
  })
  afterEach(async () => {
    await deletePrefix(connections[0]!, prefix)
    await Promise.all(connections.map((c) => c.quit()))
  })

  it('racing the same transition, exactly one compare-and-set wins each round and the other sees the conflict', async () => {
    const a = new RedisStateStore({ redis: connect(), prefix })
    const b = new RedisStateStore({ redis: connect(), prefix })
    const id = specFixture().id
    expect(await a.put(runningRecord(), null)).toEqual({ ok: true })

    const ROUNDS = 300
    const wins = { a: 0, b: 0 }
    for (let round = 1; round <= ROUNDS; round++) {
      // Both read the same version, then both write at once over their own sockets.
      const [ra, rb] = await Promise.all([a.get(id), b.get(id)])
      expect(ra!.version).toBe(rb!.version)
      const expected = ra!.version
      const attempts = [flip(ra!, 'a', round), flip(rb!, 'b', round)]
      // Which socket sends first alternates at random, so neither side is favoured by call order.
      const [pa, pb] =
        Math.random() < 0.5
          ? await Promise.all([a.put(attempts[0]!, expected), b.put(attempts[1]!, expected)])
          : await Promise.all([b.put(attempts[1]!, expected), a.put(attempts[0]!, expected)]).then(([y, x]) => [x, y])
      const results: PutResult[] = [pa!, pb!]
      expect(results.filter((r) => r.ok)).toHaveLength(1)
      expect(results.find((r) => !r.ok)).toEqual({ ok: false, actualVersion: expected + 1 })
      const winner = pa!.ok ? 0 : 1
      wins[winner === 0 ? 'a' : 'b']++
      // What is stored is the winner's record, whole: no mix of the two writes.
      expect(await b.get(id)).toEqual(attempts[winner])
    }
    console.log(`redis CAS race: ${ROUNDS} rounds, exactly one winner each; wins a=${wins.a} b=${wins.b}`)
    const last = (await a.get(id))!
    expect(last.version).toBe(runningRecord().version + ROUNDS)
    expect(last.ledgerSeq).toBe(runningRecord().ledgerSeq + ROUNDS)
  })

  it('two controller processes free-running on one experiment lose no update: each version is written once', async () => {
    const id = specFixture().id
    const store = new RedisStateStore({ redis: connect(), prefix })
    await store.put(runningRecord(), null)
    const ATTEMPTS = 400
    const startAt = Date.now() + 3_000 // after both processes have loaded and connected
    const controllers = ['ctl-a', 'ctl-b'].map((name) =>
      runScript('./cas-controller-process.ts', {
        REDIS_URL: requireRedis(),
        RUNWAY_STATE_PREFIX: prefix,
        RUNWAY_EXPERIMENT_ID: id,
        RUNWAY_CONTROLLER: name,
        RUNWAY_ATTEMPTS: String(ATTEMPTS),
        RUNWAY_START_AT: String(startAt),
      }),
    )
    try {
      const done = await Promise.all(controllers.map((c) => c.waitFor((l) => l.type === 'done', 60_000)))
      const written = done.flatMap((d) => d.written as number[]).sort((x, y) => x - y)
      const first = runningRecord().version + 1
      // Every version from first to last was written by exactly one controller: no lost update, no double write.
      expect(written).toEqual(Array.from({ length: written.length }, (_, i) => first + i))
      expect(done.map((d) => d.badConflicts)).toEqual([0, 0])
      for (const d of done) expect((d.written as number[]).length + (d.conflicts as number)).toBe(ATTEMPTS)
      const last = (await store.get(id))!
      expect(last.version).toBe(first + written.length - 1)
      expect(last.ledgerSeq).toBe(runningRecord().ledgerSeq + written.length)
      const summary = done.map((d) => `${d.name} ${(d.written as number[]).length} writes / ${d.conflicts} conflicts`).join(', ')
      console.log(`redis CAS, two controller processes x ${ATTEMPTS} attempts: ${summary}; 0 lost updates`)
    } finally {
      await Promise.all(controllers.map((c) => c.stop()))
    }
  })
})

describe('Redis state: change notification to another replica', () => {
  const prefix = testPrefix('changes')
  const connections: Redis[] = []
  const connect = () => {
    const c = connectRedis()
    connections.push(c)
    return c
  }
  afterAll(async () => {
    await deletePrefix(connections[0]!, prefix)
    await Promise.all(connections.map((c) => c.quit()))
  })

  it('every put and remove reaches a subscriber on its own connection, and the replica reads the new record', async () => {
    const writer = new RedisStateStore({ redis: connect(), prefix })
    const replica = new RedisStateStore({ redis: connect(), prefix })
    const otherPrefix = testPrefix('elsewhere')
    const other = new RedisStateStore({ redis: connect(), prefix: otherPrefix })
    const cache = new Map<string, ExperimentRecord | null>()
    const heard: string[] = []
    let wake: (() => void) | null = null
    const unsubscribe = await subscribeChanges(connect(), prefix, (experimentId) => {
      heard.push(experimentId)
      // A replica's cache refresh: re-read the record the notification names.
      void replica.get(experimentId).then((r) => {
        cache.set(experimentId, r)
        wake?.()
      })
    })
    const refreshed = (check: () => boolean) =>
      new Promise<void>((resolve, reject) => {
        // A bound for a lost notification, not a latency target (bench/ measures that).
        const timer = setTimeout(() => reject(new Error('no change notification within 10 s')), 10_000)
        wake = () => {
          if (check()) {
            clearTimeout(timer)
            resolve()
          }
        }
      })

    const id = specFixture().id
    const latencies: number[] = []
    let record = runningRecord()
    for (let i = 0; i <= 20; i++) {
      const expected = i === 0 ? null : record.version
      if (i > 0) record = flip(record, 'writer', i)
      const version = record.version
      const started = performance.now()
      const done = refreshed(() => cache.get(id)?.version === version)
      expect(await writer.put(record, expected)).toEqual({ ok: true })
      await done
      latencies.push(performance.now() - started)
    }
    const started = performance.now()
    const gone = refreshed(() => cache.has(id) && cache.get(id) === null)
    expect(await writer.remove(id, record.version)).toEqual({ ok: true })
    await gone
    latencies.push(performance.now() - started)

    // A write under another prefix is not this deployment's change. Redis runs commands one at a
    // time and delivers to a subscriber in order: once a later write of our own is heard, a leaked
    // notification of the other write would have been heard before it.
    await other.put(runningRecord(), null)
    const sentinel = runningRecord(specFixture({ id: 'sentinel-exp' }))
    const heardSentinel = refreshed(() => cache.has('sentinel-exp'))
    expect(await writer.put(sentinel, null)).toEqual({ ok: true })
    await heardSentinel
    expect(heard).toEqual([...Array(22).fill(id), 'sentinel-exp'])
    await unsubscribe()
    await deletePrefix(connections[0]!, otherPrefix)

    const sorted = [...latencies].sort((x, y) => x - y)
    const ms = (x: number) => `${x.toFixed(2)} ms`
    console.log(`redis change propagation (write → second connection notified → replica re-read), ${sorted.length} changes: median ${ms(sorted[Math.floor(sorted.length / 2)]!)}, max ${ms(sorted.at(-1)!)}`)
    // Printed, not asserted: speed is measured in bench/, a test on a loaded machine checks delivery.
  })
})
