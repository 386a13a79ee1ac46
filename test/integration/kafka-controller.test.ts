import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KafkaBus } from '../../src/adapters/bus/kafka-bus.js'
import { SystemClock } from '../../src/adapters/clock/system-clock.js'
import { RedisStateStore } from '../../src/adapters/state/redis-state.js'
import { embeddedWarehouse } from '../../src/adapters/warehouse/clickhouse-warehouse.js'
import { DEFAULT_POLICY_CONTEXT } from '../../src/domain/policy.js'
import { ENGINE_VERSION, type Verdict } from '../../src/domain/verdict.js'
import { TOPICS } from '../../src/ports/bus.js'
import { type ApplyOutcome, Controller } from '../../src/services/controller.js'
import { readLedger } from '../../src/services/ledger.js'
import { migrate } from '../../src/services/migrate.js'
import { QueueService } from '../../src/services/queue.js'
import { specBody } from '../support/embedded.js'
import { requireKafka, requireRedis } from '../support/services.js'

/** The controller as a Kafka consumer group over Redis state: each verdict applied once, in order. */
const log = pino({ level: 'silent' })
const run = randomUUID().slice(0, 8)
const dir = mkdtempSync(join(tmpdir(), 'runway-kctl-'))
const warehouse = embeddedWarehouse(dir)
let redis: Redis
let bus: KafkaBus
let queue: QueueService
const outcomes: ApplyOutcome[] = []

beforeAll(async () => {
  redis = new Redis(requireRedis())
  bus = new KafkaBus({ brokers: requireKafka().split(','), clientId: `kctl-${run}`, topicPrefix: `kctl${run}.`, partitions: 3, log })
  await migrate(warehouse)
  const clock = new SystemClock()
  queue = new QueueService({ state: new RedisStateStore({ redis, prefix: `kctl${run}` }), warehouse, bus, clock, policy: DEFAULT_POLICY_CONTEXT, log })
  const controller = new Controller(queue, clock, log)
  await bus.subscribe(TOPICS.verdicts, 'controller', async (m) => void outcomes.push(await controller.handle(m.value)))
  await queue.enqueue(specBody({ id: 'kc-1', rollout: { steps: [{ exposure: 10, minDuration: 0 }, { exposure: 50, minDuration: 0 }, { exposure: 100, minDuration: 0 }] } }), { type: 'person', id: 'test' })
  await queue.scheduleTick()
}, 60_000)

afterAll(async () => {
  await bus?.close()
  for (const key of await redis.keys(`kctl${run}:*`)) await redis.del(key)
  await redis?.quit()
  await warehouse.close()
  rmSync(dir, { recursive: true, force: true })
})

const verdict = (seq: number, decision: Verdict['decision'], step: number): Verdict => ({
  id: randomUUID(),
  experimentId: 'kc-1',
  seq,
  decision,
  step,
  reasons: [{ code: 'HEALTHY', message: 'test', numbers: {} }],
  window: { from: Date.now(), to: Date.now() },
  evaluatedAt: Date.now(),
  engineVersion: ENGINE_VERSION,
  needsApproval: false,
})

async function settle(count: number): Promise<void> {
  const deadline = Date.now() + 30_000
  while (outcomes.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
  expect(outcomes.length).toBe(count)
}

describe('controller over Kafka', () => {
  it('a verdict delivered twice makes one transition; an older one is ignored', async () => {
    const ramp = verdict(3, 'ramp', 0)
    await bus.publish(TOPICS.verdicts, 'kc-1', ramp)
    await bus.publish(TOPICS.verdicts, 'kc-1', ramp)
    await bus.publish(TOPICS.verdicts, 'kc-1', verdict(2, 'rollback', 0))
    await settle(3)
    expect(outcomes).toEqual([
      { applied: true, to: 'running' },
      { applied: false, reason: 'older_than_last_applied' },
      { applied: false, reason: 'older_than_last_applied' },
    ])
    const record = await queue.get('kc-1')
    expect(record).toMatchObject({ state: 'running', step: 1, lastAppliedVerdictSeq: 3 })
    const ramps = (await readLedger(warehouse, 'kc-1')).filter((e) => e.from === 'running' && e.to === 'running')
    expect(ramps).toHaveLength(1)
    expect(ramps[0]).toMatchObject({ verdictId: ramp.id, verdictSeq: 3 })
  }, 60_000)
})
