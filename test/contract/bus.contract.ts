import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { TOPICS, type Bus, type BusHandler, type BusMessage } from '../../src/ports/bus.js'
import { eventually, sleep, uid } from './helpers.js'

export interface BusContractOptions {
  name: string
  /** A fresh bus per test (a networked adapter may give each its own topic prefix). */
  create: () => Promise<Bus>
  /** How long to wait before concluding that nothing more will arrive. */
  settleMs?: number
  /** How long a delivery may take to show up. */
  deliveryTimeoutMs?: number
}

interface Payload {
  run: string
  n: number
  [field: string]: unknown
}

/**
 * Every test tags its messages with a run id and its handlers ignore other
 * runs, so tests stay isolated even on a shared broker whose topics outlive them.
 */
export function runBusContract({ name, create, settleMs = 50, deliveryTimeoutMs = 10_000 }: BusContractOptions): void {
  describe(`Bus contract: ${name}`, () => {
    let bus: Bus
    let closed: boolean
    let run: string

    beforeEach(async () => {
      run = uid()
      bus = await create()
      closed = false
    })
    afterEach(async () => {
      if (!closed) await bus.close()
    })

    const group = (label: string) => `ct-${run}-${label}`
    const key = (label: string | number) => `k-${run}-${label}`
    const payload = (n: number, extra: Record<string, unknown> = {}): Payload => ({ run, n, ...extra })

    /** A handler that records this run's messages, optionally doing something first. */
    function collector(before?: (m: BusMessage) => Promise<void> | void) {
      const seen: BusMessage[] = []
      const handler: BusHandler = async (m) => {
        if ((m.value as Payload | null)?.run !== run) return
        seen.push(m)
        await before?.(m)
      }
      return { seen, handler, ns: () => seen.map((m) => (m.value as Payload).n) }
    }
    const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1)
    const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b)
    const soon = (check: () => void) => eventually(check, deliveryTimeoutMs)

    it('delivers a message on its topic only, with its topic, key and value', async () => {
      const telemetry = collector()
      const verdicts = collector()
      await bus.subscribe(TOPICS.telemetry, group('t'), telemetry.handler)
      await bus.subscribe(TOPICS.verdicts, group('v'), verdicts.handler)
      const value = payload(1, { nested: { list: [1, 'two', null], ok: true }, ratio: 0.25, text: 'é "q" \\' })
      await bus.publish(TOPICS.telemetry, key('a'), value)
      await bus.publish(TOPICS.verdicts, key('b'), payload(2))
      await bus.publish(TOPICS.lifecycle, key('c'), payload(3)) // no subscriber: accepted and dropped
      await soon(() => {
        expect(telemetry.seen).toEqual([{ topic: TOPICS.telemetry, key: key('a'), value }])
        expect(verdicts.seen).toEqual([{ topic: TOPICS.verdicts, key: key('b'), value: payload(2) }])
      })
      await sleep(settleMs)
      expect(telemetry.ns()).toEqual([1])
      expect(verdicts.ns()).toEqual([2])
    })

    it('every consumer group receives every message exactly once', async () => {
      const groups = [collector(), collector(), collector()]
      for (const [i, g] of groups.entries()) await bus.subscribe(TOPICS.telemetry, group(`g${i}`), g.handler)
      for (const n of upTo(20)) await bus.publish(TOPICS.telemetry, key(n % 4), payload(n))
      await soon(() => {
        for (const g of groups) expect(sorted(g.ns())).toEqual(upTo(20))
      })
      await sleep(settleMs)
      for (const g of groups) expect(sorted(g.ns())).toEqual(upTo(20))
    })

    it('members of one group share its messages: each is handled once per group', async () => {
      const members = [collector(), collector(), collector()]
      const other = collector()
      for (const m of members) await bus.subscribe(TOPICS.telemetry, group('shared'), m.handler)
      await bus.subscribe(TOPICS.telemetry, group('other'), other.handler)
      for (const n of upTo(30)) await bus.publish(TOPICS.telemetry, key(n), payload(n))
      const all = () => members.flatMap((m) => m.ns())
      await soon(() => {
        expect(sorted(all())).toEqual(upTo(30))
        expect(sorted(other.ns())).toEqual(upTo(30))
      })
      await sleep(settleMs)
      expect(sorted(all())).toEqual(upTo(30))
    })

    it('keeps per-key order across many messages, also when a group has several members', async () => {
      const keys = ['a', 'b', 'c', 'd', 'e']
      const perKey = 40
      const received = new Map<string, number[]>()
      const record: BusHandler = async (m) => {
        if ((m.value as Payload | null)?.run !== run) return
        await sleep(Math.random() * 2) // uneven handling time must not reorder a key
        received.set(m.key, [...(received.get(m.key) ?? []), (m.value as Payload).n])
      }
      const single = collector()
      await bus.subscribe(TOPICS.verdicts, group('ordered'), record)
      await bus.subscribe(TOPICS.verdicts, group('ordered'), (m) => record(m)) // a second member
      await bus.subscribe(TOPICS.verdicts, group('single'), single.handler)
      // Keys publish concurrently; within a key, each publish starts after the previous one resolved.
      await Promise.all(keys.map(async (k) => {
        for (const n of upTo(perKey)) await bus.publish(TOPICS.verdicts, key(k), payload(n))
      }))
      await soon(() => {
        for (const k of keys) expect(received.get(key(k))).toEqual(upTo(perKey))
        expect(single.seen).toHaveLength(keys.length * perKey)
      })
      for (const k of keys) expect(single.seen.filter((m) => m.key === key(k)).map((m) => (m.value as Payload).n)).toEqual(upTo(perKey))
    })

    it('a failing handler stops neither later messages nor other groups', async () => {
      const failing = collector((m) => {
        if ((m.value as Payload).n === 3) throw new Error('handler failed on purpose')
      })
      const healthy = collector()
      await bus.subscribe(TOPICS.telemetry, group('failing'), failing.handler)
      await bus.subscribe(TOPICS.telemetry, group('healthy'), healthy.handler)
      for (const n of upTo(6)) await expect(bus.publish(TOPICS.telemetry, key('x'), payload(n))).resolves.toBeUndefined()
      await soon(() => {
        expect(healthy.ns()).toEqual(upTo(6))
        // The failing group goes on past its failure (a redelivery of 3 is allowed: at-least-once).
        expect(new Set(failing.ns())).toEqual(new Set(upTo(6)))
      })
    })

    it('each group gets its own copy of the value: a handler mutating it does not change what others see', async () => {
      const mutator = collector((m) => {
        ;(m.value as Payload).n = 999
        ;(m.value as Payload).tags = ['mutated']
      })
      const observer = collector()
      await bus.subscribe(TOPICS.verdicts, group('mutator'), mutator.handler)
      await bus.subscribe(TOPICS.verdicts, group('observer'), observer.handler)
      const value = payload(1, { tags: ['original'] })
      await bus.publish(TOPICS.verdicts, key('m'), value)
      value.n = 555 // nor does the publisher changing it afterwards
      await soon(() => {
        expect(observer.seen.map((m) => m.value)).toEqual([payload(1, { tags: ['original'] })])
        expect(mutator.seen).toHaveLength(1) // each group is delivered on its own schedule
      })
    })

    it('a closed subscription receives nothing more; the rest of its group takes over', async () => {
      const leaving = collector()
      const staying = collector()
      const witness = collector()
      const sub = await bus.subscribe(TOPICS.telemetry, group('g'), leaving.handler)
      await bus.subscribe(TOPICS.telemetry, group('w'), witness.handler)
      await bus.publish(TOPICS.telemetry, key(1), payload(1))
      await soon(() => expect(leaving.ns()).toEqual([1]))
      await bus.subscribe(TOPICS.telemetry, group('g'), staying.handler)
      await sub.close()
      for (const n of [2, 3, 4, 5]) await bus.publish(TOPICS.telemetry, key(n), payload(n))
      await soon(() => {
        // Different keys: the port promises order per key only, so compare as sets.
        expect(sorted(witness.ns())).toEqual(upTo(5))
        expect(sorted(staying.ns())).toEqual([2, 3, 4, 5])
      })
      await sleep(settleMs)
      expect(leaving.ns()).toEqual([1])
    })

    it('a closed subscription with no other member in its group stops delivery to that group', async () => {
      const only = collector()
      const witness = collector()
      const sub = await bus.subscribe(TOPICS.lifecycle, group('solo'), only.handler)
      await bus.subscribe(TOPICS.lifecycle, group('w'), witness.handler)
      await bus.publish(TOPICS.lifecycle, key(1), payload(1))
      await soon(() => expect(only.ns()).toEqual([1]))
      await sub.close()
      await bus.publish(TOPICS.lifecycle, key(2), payload(2))
      await soon(() => expect(sorted(witness.ns())).toEqual([1, 2]))
      await sleep(settleMs)
      expect(only.ns()).toEqual([1])
    })

    it('publish after close fails', async () => {
      const c = collector()
      await bus.subscribe(TOPICS.verdicts, group('c'), c.handler)
      await bus.close()
      closed = true
      await expect(bus.publish(TOPICS.verdicts, key('late'), payload(1))).rejects.toThrow()
      await sleep(settleMs)
      expect(c.seen).toEqual([])
    })
  })
}
