import type { Bus, BusHandler, BusMessage, Subscription, Topic } from '../../ports/bus.js'

interface Group {
  handlers: BusHandler[]
  next: number
}

/**
 * In-process bus. Publishing awaits every group's handler, one message at a time
 * per topic, so order per key holds and a publisher sees delivery finished.
 * Within a group, members take turns (round robin), like a consumer group.
 */
export class MemoryBus implements Bus {
  private readonly groups = new Map<Topic, Map<string, Group>>()
  private readonly tails = new Map<Topic, Promise<void>>()
  private closed = false

  constructor(private readonly onHandlerError: (error: unknown, message: BusMessage, group: string) => void = () => {}) {}

  async publish(topic: Topic, key: string, value: unknown): Promise<void> {
    if (this.closed) throw new Error('bus is closed')
    const message: BusMessage = { topic, key, value: structuredClone(value) }
    const previous = this.tails.get(topic) ?? Promise.resolve()
    const delivery = previous.then(() => this.deliver(message))
    this.tails.set(topic, delivery)
    await delivery
  }

  async subscribe(topic: Topic, group: string, handler: BusHandler): Promise<Subscription> {
    const byGroup = this.groups.get(topic) ?? new Map<string, Group>()
    this.groups.set(topic, byGroup)
    const g = byGroup.get(group) ?? { handlers: [], next: 0 }
    byGroup.set(group, g)
    g.handlers.push(handler)
    return {
      close: async () => {
        g.handlers = g.handlers.filter((h) => h !== handler)
      },
    }
  }

  async close(): Promise<void> {
    this.closed = true
    await Promise.all([...this.tails.values()])
  }

  private async deliver(message: BusMessage): Promise<void> {
    for (const [name, g] of this.groups.get(message.topic) ?? []) {
      if (g.handlers.length === 0) continue
      const handler = g.handlers[g.next++ % g.handlers.length]!
      try {
        // Each group gets its own copy, as a Kafka consumer decodes its own.
        await handler({ ...message, value: structuredClone(message.value) })
      } catch (error) {
        // A failing consumer must not stop delivery to the others; it is reported, not swallowed.
        this.onHandlerError(error, message, name)
      }
    }
  }
}
