import { Kafka, logLevel } from 'kafkajs'
import { afterEach, describe, expect, it } from 'vitest'
import { type InvalidMessage, KafkaBus } from '../../src/adapters/bus/kafka-bus.js'
import { TOPICS, type BusMessage } from '../../src/ports/bus.js'
import { requireKafka } from '../support/services.js'
import { runBusContract } from './bus.contract.js'
import { eventually, sleep, uid } from './helpers.js'

const brokers = requireKafka().split(',')
const newBus = async (partitions: number) => {
  const bus = new KafkaBus({ brokers, clientId: 'runway-contract', topicPrefix: `t${uid()}.`, partitions })
  await bus.ensureTopics()
  return bus
}

// Each test gets fresh topics under its own prefix. Deliveries cross a real broker
// and groups rebalance as members join, so the waits are longer than in process.
// Three partitions, as deployed: the contract promises order per key only.
runBusContract({ name: 'Kafka (KafkaBus)', create: () => newBus(3), settleMs: 1_000, deliveryTimeoutMs: 20_000 })

describe('KafkaBus with several partitions', () => {
  let bus: KafkaBus | undefined
  afterEach(async () => bus?.close())

  it('spreads a group over its members, each message once, each key in order', async () => {
    bus = await newBus(3)
    const run = uid()
    const byMember: BusMessage[][] = [[], [], []]
    for (const seen of byMember) {
      await bus.subscribe(TOPICS.verdicts, `g-${run}`, async (m) => {
        seen.push(m)
      })
    }
    const keys = Array.from({ length: 12 }, (_, k) => `k-${run}-${k}`)
    for (let n = 0; n < 10; n++) await Promise.all(keys.map((key) => bus!.publish(TOPICS.verdicts, key, { n })))
    const all = () => byMember.flat()
    await eventually(() => expect(all()).toHaveLength(120), 20_000)
    await sleep(1_000)
    expect(all()).toHaveLength(120)
    for (const key of keys) expect(all().filter((m) => m.key === key).map((m) => (m.value as { n: number }).n)).toEqual([...Array(10).keys()])
    // A key lives in one partition, so each key's messages went to one member.
    for (const key of keys) expect(byMember.filter((seen) => seen.some((m) => m.key === key))).toHaveLength(1)
    expect(byMember.filter((seen) => seen.length > 0).length).toBeGreaterThan(1)
  })

  it('hands a message that is not JSON to onInvalid with its offset, and goes on', async () => {
    const prefix = `t${uid()}.`
    const invalid: InvalidMessage[] = []
    bus = new KafkaBus({ brokers, clientId: 'runway-contract', topicPrefix: prefix, partitions: 1, onInvalid: (m) => void invalid.push(m) })
    await bus.ensureTopics()
    const seen: unknown[] = []
    await bus.subscribe(TOPICS.lifecycle, `g-${uid()}`, async (m) => void seen.push(m.value))
    const raw = new Kafka({ clientId: 'runway-contract-raw', brokers, logLevel: logLevel.NOTHING }).producer()
    await raw.connect()
    await raw.send({ topic: prefix + TOPICS.lifecycle, messages: [{ key: 'a', value: '{"not json' }, { key: 'b', value: null }] })
    await raw.disconnect()
    await bus.publish(TOPICS.lifecycle, 'c', { ok: true })
    await eventually(() => expect(seen).toEqual([{ ok: true }]), 20_000)
    expect(invalid.map((m) => [m.offset, m.key, m.raw])).toEqual([['0', 'a', '{"not json'], ['1', 'b', null]])
    expect(invalid[0]!.reason).toMatch(/JSON/)
  })
})
