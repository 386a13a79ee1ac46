import pino from 'pino'
import { describe, expect, it } from 'vitest'
import type { NotifyEvent } from '../../../src/domain/notify-event.js'
import { Dispatcher } from '../../../src/notify/dispatcher.js'
import type { Outbox, Queued } from '../../../src/notify/outbox.js'
import type { Sink } from '../../../src/notify/sink.js'
import { signBody, verifySignature } from '../../../src/notify/signature.js'

/** A clock moved only by the test. */
class TestClock {
  constructor(private t: number) {}
  now = () => this.t
  every = () => () => {}
  advance(ms: number) {
    this.t += ms
  }
}
type ManualClock = TestClock

const event = (experimentId: string, n: number): NotifyEvent => ({
  id: `tr-${experimentId}-${n}`, schema: 'runway.notify/1', type: 'paused', at: n, experimentId, namespace: 'default', owner: 'o', onCall: '',
  services: [], severity: 'info', summary: '', reasons: [], link: '', runbook: '', alert: null, suppressedBy: null,
})

/** Delivery records kept in memory: the warehouse outbox is exercised end to end in test/e2e/alerts-notify.test.ts. */
function memoryOutbox() {
  const delivered: Array<{ sink: string; id: string }> = []
  return { delivered, outbox: { delivered: async (sink: string, ids: Array<{ id: string }>) => void delivered.push(...ids.map((x) => ({ sink, id: x.id }))) } as unknown as Outbox }
}

class FlakySink implements Sink {
  readonly name = 'flaky'
  got: string[] = []
  down = new Set<string>()
  accepts = () => true
  async deliver(e: NotifyEvent): Promise<void> {
    if (this.down.has(e.experimentId)) throw new Error('503')
    this.got.push(e.id)
  }
}

const settle = async (d: Dispatcher, clock: ManualClock, rounds = 50) => {
  for (let i = 0; i < rounds; i++) {
    d.tick()
    await new Promise((r) => setImmediate(r))
    clock.advance(10)
  }
}

describe('Dispatcher', () => {
  it('delivers an experiment\'s events in order, and a failing lane holds only that experiment', async () => {
    const clock = new TestClock(1_000_000)
    const sink = new FlakySink()
    const { outbox, delivered } = memoryOutbox()
    const d = new Dispatcher([sink], outbox, clock, pino({ level: 'silent' }), { baseBackoffMs: 100, maxBackoffMs: 400, parallel: 4, random: () => 1 })
    sink.down.add('a')
    const items: Queued[] = [event('a', 1), event('b', 1), event('a', 2), event('b', 2)].map((e, i) => ({ event: e, ord: i }))
    await d.add(items)
    await settle(d, clock, 5)
    expect(sink.got).toEqual(['tr-b-1', 'tr-b-2'])
    expect(d.stats.get('flaky')!.pending).toBe(2)
    sink.down.clear()
    await settle(d, clock)
    expect(sink.got).toEqual(['tr-b-1', 'tr-b-2', 'tr-a-1', 'tr-a-2'])
    expect(delivered.map((x) => x.id).sort()).toEqual(['tr-a-1', 'tr-a-2', 'tr-b-1', 'tr-b-2'])
    expect(d.idle).toBe(true)
  })

  it('backs off exponentially up to the cap', async () => {
    const clock = new TestClock(0)
    const sink = new FlakySink()
    sink.down.add('a')
    const { outbox } = memoryOutbox()
    const attempts: number[] = []
    const orig = sink.deliver.bind(sink)
    sink.deliver = async (e) => {
      attempts.push(clock.now())
      return orig(e)
    }
    const d = new Dispatcher([sink], outbox, clock, pino({ level: 'silent' }), { baseBackoffMs: 100, maxBackoffMs: 400, parallel: 1, random: () => 1 })
    await d.add([{ event: event('a', 1), ord: 1 }])
    for (let t = 0; t < 2000; t += 10) {
      d.tick()
      await new Promise((r) => setImmediate(r))
      clock.advance(10)
    }
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!)
    // 100, 200, 400, then capped at 400 (jitter pinned at its top by random = 1).
    expect(gaps.slice(0, 5)).toEqual([100, 200, 400, 400, 400])
  })

  it('does not queue an event twice when a rescan returns it again', async () => {
    const clock = new TestClock(0)
    const sink = new FlakySink()
    const { outbox } = memoryOutbox()
    const d = new Dispatcher([sink], outbox, clock, pino({ level: 'silent' }), { baseBackoffMs: 100, maxBackoffMs: 400, parallel: 1 })
    await d.add([{ event: event('a', 1), ord: 1 }])
    await d.add([{ event: event('a', 1), ord: 1 }])
    await settle(d, clock)
    expect(sink.got).toEqual(['tr-a-1'])
  })
})

describe('webhook signature', () => {
  it('verifies its own signature and refuses a changed body, another secret or an old timestamp', () => {
    const body = '{"id":"x"}'
    const sig = signBody('s3cret', 1000, body)
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/)
    expect(verifySignature('s3cret', '1000', body, sig, 1010)).toBe(true)
    expect(verifySignature('s3cret', '1000', `${body} `, sig, 1010)).toBe(false)
    expect(verifySignature('other', '1000', body, sig, 1010)).toBe(false)
    expect(verifySignature('s3cret', '1000', body, sig, 2000)).toBe(false)
  })

  it('matches an HMAC computed independently (python hmac)', async () => {
    const { execFileSync } = await import('node:child_process')
    const py = execFileSync('python3', ['-c', 'import hmac,hashlib,sys;print(hmac.new(b"k", b"42.{\\"a\\":1}", hashlib.sha256).hexdigest())'], { encoding: 'utf8' }).trim()
    expect(signBody('k', 42, '{"a":1}')).toBe(`sha256=${py}`)
  })
})
