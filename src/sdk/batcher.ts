import { randomUUID } from 'node:crypto'

export interface BatcherOptions<T> {
  /** Sends one batch; `batchId` stays the same across retries (use it as an idempotency key). */
  send: (batch: T[], batchId: string) => Promise<void | { rejected?: number }>
  /** Most items held (buffered and in flight); past it new items are dropped and counted. Default 10,000. */
  maxBuffer?: number
  /** Items per send. Default 500. */
  batchSize?: number
  /** A partial batch is sent after this long. Default 1 s. */
  flushIntervalMs?: number
  /** Attempts per batch before it is dropped and counted. Default 3. */
  maxAttempts?: number
  /** Wait before the first retry, doubled each time. Default 200 ms. */
  retryBackoffMs?: number
  /** Told about every drop as it happens: how many items and why. */
  onDrop?: (count: number, reason: 'buffer_full' | 'send_failed', error?: Error) => void
}

export interface BatcherStats {
  accepted: number
  sent: number
  /** Sent, but refused by the receiver (the server keeps them in its dead letters with the reason). */
  rejected: number
  /** Refused at the door: the buffer was full (the sender is slower than the producer). */
  droppedBufferFull: number
  /** Given up after every attempt failed. */
  droppedSendFailed: number
  buffered: number
  inFlight: number
}

/**
 * A bounded buffer drained by one sender at a time. Back-pressure: while a batch is
 * in flight the buffer fills; once full, `push` answers false and the item is
 * counted as dropped — memory stays bounded and nothing is lost without a count.
 */
export class Batcher<T> {
  private buffer: T[] = []
  private inFlight = 0
  private draining: Promise<void> | null = null
  private readonly timer: NodeJS.Timeout
  private closed = false
  private readonly s = { accepted: 0, sent: 0, rejected: 0, droppedBufferFull: 0, droppedSendFailed: 0 }
  private readonly maxBuffer: number
  private readonly batchSize: number

  constructor(private readonly o: BatcherOptions<T>) {
    this.maxBuffer = o.maxBuffer ?? 10_000
    this.batchSize = o.batchSize ?? 500
    this.timer = setInterval(() => void this.drain(), o.flushIntervalMs ?? 1_000)
    this.timer.unref()
  }

  /** Queues an item; false when it was dropped because the buffer is full (or the batcher closed). */
  push(item: T): boolean {
    // Items in flight count too: the bound is on everything held in memory.
    if (this.closed || this.buffer.length + this.inFlight >= this.maxBuffer) {
      this.s.droppedBufferFull++
      this.o.onDrop?.(1, 'buffer_full')
      return false
    }
    this.buffer.push(item)
    this.s.accepted++
    if (this.buffer.length >= this.batchSize) void this.drain()
    return true
  }

  stats(): BatcherStats {
    return { ...this.s, buffered: this.buffer.length, inFlight: this.inFlight }
  }

  /** Sends everything buffered now (and what arrives meanwhile), resolving when done. */
  async flush(): Promise<void> {
    for (let i = 0; i < 1_000 && (this.buffer.length > 0 || this.draining); i++) {
      await (this.draining ?? this.drain())
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer)
    await this.flush()
    this.closed = true
  }

  private drain(): Promise<void> {
    if (this.draining) return this.draining
    if (this.buffer.length === 0) return Promise.resolve()
    this.draining = (async () => {
      while (this.buffer.length > 0) {
        const batch = this.buffer.splice(0, this.batchSize)
        this.inFlight = batch.length
        await this.sendWithRetry(batch)
        this.inFlight = 0
      }
    })().finally(() => {
      this.draining = null
    })
    return this.draining
  }

  private async sendWithRetry(batch: T[]): Promise<void> {
    const id = randomUUID()
    const attempts = this.o.maxAttempts ?? 3
    let wait = this.o.retryBackoffMs ?? 200
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = await this.o.send(batch, id)
        this.s.sent += batch.length
        this.s.rejected += answer?.rejected ?? 0
        return
      } catch (error) {
        if (attempt >= attempts) {
          this.s.droppedSendFailed += batch.length
          this.o.onDrop?.(batch.length, 'send_failed', error as Error)
          return
        }
        await new Promise((r) => setTimeout(r, wait))
        wait *= 2
      }
    }
  }
}
