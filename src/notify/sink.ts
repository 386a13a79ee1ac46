import type { NotifyEvent } from '../domain/notify-event.js'

/** A receiver of events. `deliver` resolves once the receiver acknowledged the event and throws otherwise. */
export interface Sink {
  /** Stable: delivery state is kept per sink name. */
  readonly name: string
  /** Events this sink takes; the others are recorded as skipped (not retried). */
  accepts(e: NotifyEvent): boolean
  deliver(e: NotifyEvent): Promise<void>
}

export class DeliveryError extends Error {
  readonly code = 'NOTIFY_DELIVERY_FAILED'
  constructor(message: string, readonly status: number | null = null) {
    super(message)
  }
}

/** POSTs a body with a bounded wait; a 2xx answer is an acknowledgement. */
export async function postJson(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<void> {
  let res: Response
  try {
    res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers }, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' })
  } catch (error) {
    throw new DeliveryError(`POST ${url} failed: ${(error as Error).message}`)
  }
  // The body is drained so that the connection can be reused.
  const text = await res.text().catch(() => '')
  if (res.status < 200 || res.status > 299) throw new DeliveryError(`POST ${url} answered ${res.status}: ${text.slice(0, 200)}`, res.status)
}
