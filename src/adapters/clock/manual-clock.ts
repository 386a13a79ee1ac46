import type { Clock } from '../../ports/clock.js'

interface Timer {
  id: number
  due: number
  every: number
  fn: () => Promise<void>
}

/**
 * A clock that moves only when told: simulations advance it, and every timer
 * due on the way fires in time order (awaited), so accelerated runs are exact.
 */
export class ManualClock implements Clock {
  private timers: Timer[] = []
  private nextId = 1

  constructor(private current: number) {}

  now(): number {
    return this.current
  }

  every(ms: number, fn: () => Promise<void>): () => void {
    const timer: Timer = { id: this.nextId++, due: this.current + ms, every: ms, fn }
    this.timers.push(timer)
    return () => {
      this.timers = this.timers.filter((t) => t !== timer)
    }
  }

  /** Moves time to `target`, firing due timers in order (ties by creation). */
  async advanceTo(target: number): Promise<void> {
    for (;;) {
      const due = this.timers.filter((t) => t.due <= target).sort((a, b) => a.due - b.due || a.id - b.id)[0]
      if (!due) break
      this.current = Math.max(this.current, due.due)
      due.due += due.every
      await due.fn()
    }
    this.current = Math.max(this.current, target)
  }
}
