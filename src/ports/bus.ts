export const TOPICS = {
  telemetry: 'runway.telemetry',
  verdicts: 'runway.verdicts',
  lifecycle: 'runway.lifecycle',
} as const
export type Topic = (typeof TOPICS)[keyof typeof TOPICS]

export interface BusMessage {
  topic: Topic
  /** Messages with one key are delivered in order (the experiment id). */
  key: string
  value: unknown
}

export type BusHandler = (message: BusMessage) => Promise<void>

export interface Subscription {
  close(): Promise<void>
}

/** Topics in and out: telemetry in, verdicts and lifecycle events out. */
export interface Bus {
  /** Resolves once the message is accepted by the bus (in-process: once every group has handled it). */
  publish(topic: Topic, key: string, value: unknown): Promise<void>
  /** Each consumer group receives every message once; members of one group share them. */
  subscribe(topic: Topic, group: string, handler: BusHandler): Promise<Subscription>
  close(): Promise<void>
}
