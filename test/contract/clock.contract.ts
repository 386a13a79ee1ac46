import { beforeEach, describe, expect, it } from 'vitest'
import type { Clock } from '../../src/ports/clock.js'
import { waitFor } from '../support/wait.js'
import { sleep } from './helpers.js'

export interface ClockHarness {
  clock: Clock
  /** Lets `ms` pass: moves a manual clock (firing due timers, awaited) or waits real time. */
  advance(ms: number): Promise<void>
}

export interface ClockContractOptions {
  name: string
  create: () => Promise<ClockHarness>
  intervalMs?: number
  /**
   * 0 for a manual clock, whose timers fire at exact times in exact order;
   * on real time, how many calls a count may be off by (timer jitter).
   */
  tolerance?: number
}

export function runClockContract({ name, create, intervalMs = 1_000, tolerance = 0 }: ClockContractOptions): void {
  const I = intervalMs
  const exact = tolerance === 0

  describe(`Clock contract: ${name}`, () => {
    let h: ClockHarness
    const cancels: Array<() => void> = []
    const every = (ms: number, fn: () => Promise<void>) => {
      const cancel = h.clock.every(ms, fn)
      cancels.push(cancel)
      return cancel
    }
    const about = (actual: number, expected: number) => {
      expect(actual).toBeGreaterThanOrEqual(expected - tolerance)
      expect(actual).toBeLessThanOrEqual(expected + tolerance)
    }

    beforeEach(async () => {
      h = await create()
      return () => {
        for (const cancel of cancels.splice(0)) cancel()
      }
    })

    it('now() is an epoch-millisecond number that moves forward with time, never back', async () => {
      const t0 = h.clock.now()
      expect(Number.isInteger(t0)).toBe(true)
      expect(t0).toBeGreaterThan(Date.UTC(2000, 0, 1))
      await h.advance(I)
      const t1 = h.clock.now()
      // Real timers may fire a millisecond early against Date.now().
      expect(t1 - t0).toBeGreaterThanOrEqual(exact ? I : I - 2)
      if (exact) expect(t1 - t0).toBe(I)
      await h.advance(0)
      expect(h.clock.now()).toBeGreaterThanOrEqual(t1)
    })

    it('every(ms) calls fn once per interval, at the interval’s times', async () => {
      const start = h.clock.now()
      const at: number[] = []
      every(I, async () => {
        at.push(h.clock.now())
      })
      await h.advance(3.5 * I)
      about(at.length, 3)
      if (exact) expect(at).toEqual([start + I, start + 2 * I, start + 3 * I])
    })

    it('the cancel function stops further calls', async () => {
      let calls = 0
      const cancel = every(I, async () => {
        calls++
      })
      await h.advance(1.5 * I)
      about(calls, 1)
      cancel()
      const before = calls
      await h.advance(3 * I)
      expect(calls).toBe(before)
    })

    it('a call is not overlapped by the next, even when it outlasts the interval', async () => {
      let active = 0
      let maxActive = 0
      let calls = 0
      every(I, async () => {
        calls++
        active++
        maxActive = Math.max(maxActive, active)
        // Real time passes inside the call: longer than the interval on a real clock.
        await sleep(exact ? 5 : 2.5 * I)
        active--
      })
      await h.advance(6.5 * I)
      await waitFor(() => active === 0, { what: 'the call in progress to finish' })
      expect(calls).toBeGreaterThanOrEqual(exact ? 6 : 1)
      expect(maxActive).toBe(1)
      if (!exact) expect(calls).toBeLessThan(6) // calls were skipped, not stacked
    })

    it('independent timers each keep their own interval (in time order on a manual clock)', async () => {
      const fired: string[] = []
      every(2 * I, async () => {
        fired.push('a')
      })
      every(3 * I, async () => {
        fired.push('b')
      })
      await h.advance(6.5 * I)
      about(fired.filter((f) => f === 'a').length, 3)
      about(fired.filter((f) => f === 'b').length, 2)
      if (exact) expect(fired).toEqual(['a', 'b', 'a', 'a', 'b'])
    })

    it('a timer created inside a call starts from the time of that call', async () => {
      const start = h.clock.now()
      const inner: number[] = []
      const cancelOuter = every(2 * I, async () => {
        cancelOuter()
        every(I, async () => {
          inner.push(h.clock.now())
        })
      })
      await h.advance(4.5 * I)
      about(inner.length, 2)
      if (exact) expect(inner).toEqual([start + 3 * I, start + 4 * I])
    })
  })
}
