import { randomUUID } from 'node:crypto'

/** A short unique lowercase suffix: tables, topics, groups, ids and job names per test. */
export function uid(): string {
  return randomUUID().replaceAll('-', '').slice(0, 12)
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Polls `check` until it stops throwing (an `expect` inside it) or `timeoutMs`
 * passes; then rethrows its last failure. In-process adapters pass at once;
 * networked ones (Kafka, BullMQ) need the wait.
 */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 10_000, stepMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      await check()
      return
    } catch (error) {
      if (Date.now() >= deadline) throw error
      await sleep(stepMs)
    }
  }
}
