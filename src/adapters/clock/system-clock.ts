import type { Clock } from '../../ports/clock.js'

export class SystemClock implements Clock {
  now(): number {
    return Date.now()
  }

  every(ms: number, fn: () => Promise<void>): () => void {
    let running = false
    const timer = setInterval(() => {
      if (running) return
      running = true
      fn().finally(() => {
        running = false
      })
    }, ms)
    timer.unref?.()
    return () => clearInterval(timer)
  }
}
