import type { NotifyEvent } from '../domain/notify-event.js'
import { subscribed } from '../domain/notify-policy.js'
import type { Clock } from '../ports/clock.js'
import { type Sink, postJson } from './sink.js'
import { signBody } from './signature.js'

export interface WebhookOptions {
  url: string
  /** Unset: deliveries go unsigned (X-Runway-Signature is left out). */
  secret: string | null
  clock: Clock
  subscriptions?: Record<string, string[]> | undefined
  timeoutMs: number
}

/** A JSON POST per event, signed over "<timestamp>.<raw body>" so a receiver can refuse replays and forgeries. */
export class WebhookSink implements Sink {
  readonly name: string
  constructor(private readonly o: WebhookOptions) {
    this.name = `webhook:${o.url}`
  }

  accepts(e: NotifyEvent): boolean {
    return subscribed(this.o.subscriptions as never, e)
  }

  async deliver(e: NotifyEvent): Promise<void> {
    const body = JSON.stringify(e)
    const ts = Math.floor(this.o.clock.now() / 1000)
    const headers: Record<string, string> = { 'x-runway-timestamp': String(ts), 'x-runway-event-id': e.id, 'x-runway-event-type': e.type }
    if (this.o.secret) headers['x-runway-signature'] = signBody(this.o.secret, ts, body)
    await postJson(this.o.url, body, headers, this.o.timeoutMs)
  }
}
