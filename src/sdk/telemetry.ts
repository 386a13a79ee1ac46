import { randomUUID } from 'node:crypto'
import type { TelemetryEventSchema } from '../domain/telemetry.js'
import type { Attributes } from '../domain/targeting.js'
import { Batcher, type BatcherOptions, type BatcherStats } from './batcher.js'
import type { RunwayClient } from './client.js'
import type { z } from 'zod'

/** A telemetry event as the ingest API and the Kafka consumer accept it. */
export type TelemetryEvent = z.input<typeof TelemetryEventSchema>

/** Where batches of events go. Rejects on failure so the batcher can retry. */
export type TelemetrySink = (events: TelemetryEvent[], batchId: string) => Promise<void | { rejected: number }>

/**
 * POST /v1/events as NDJSON. The batch id is the Idempotency-Key, so a retry after
 * a lost answer is stored once. Lines the server refuses are in its dead letters;
 * their count comes back to the batcher (stats().rejected).
 */
export function httpSink(opts: { baseUrl: string; headers?: Record<string, string>; fetch?: typeof fetch; timeoutMs?: number }): TelemetrySink {
  const url = `${opts.baseUrl.replace(/\/+$/, '')}/v1/events`
  return async (events, batchId) => {
    const res = await (opts.fetch ?? fetch)(url, {
      method: 'POST',
      body: events.map((e) => JSON.stringify(e)).join('\n'),
      headers: { 'content-type': 'application/x-ndjson', 'idempotency-key': batchId, ...opts.headers },
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`ingest answered ${res.status}: ${text.slice(0, 200)}`)
    return { rejected: Number((JSON.parse(text) as { rejected?: unknown }).rejected ?? 0) }
  }
}

/**
 * Produces onto `runway.telemetry` (acks from all in-sync replicas). kafkajs is loaded
 * only when this sink is used, so HTTP-only services do not pay for it.
 */
export function kafkaSink(opts: { brokers: string[]; topicPrefix?: string; clientId?: string }): TelemetrySink & { close(): Promise<void> } {
  let producer: Promise<{ sendTelemetry(e: ReadonlyArray<Record<string, unknown>>): Promise<void>; close(): Promise<void> }> | null = null
  const get = () =>
    (producer ??= import('../adapters/bus/telemetry-producer.js').then((m) =>
      m.createTelemetryProducer({ brokers: opts.brokers, clientId: opts.clientId ?? 'runway-sdk', ...(opts.topicPrefix ? { topicPrefix: opts.topicPrefix } : {}) }),
    ))
  const sink = async (events: TelemetryEvent[]) => (await get()).sendTelemetry(events as unknown as Array<Record<string, unknown>>)
  return Object.assign(sink, { close: async () => void (producer && (await (await producer).close())) })
}

export interface TelemetryOptions extends Omit<BatcherOptions<TelemetryEvent>, 'send'> {
  sink: TelemetrySink
  /** Reported as the events' `service`. */
  service: string
}

/**
 * Tags each measurement with the experiments the unit is exposed to: one event per
 * (experiment, variant), so the analysis joins on nothing but the event itself.
 */
export class Telemetry {
  private readonly batcher: Batcher<TelemetryEvent>

  constructor(private readonly client: Pick<RunwayClient, 'evaluate' | 'experimentIds'>, private readonly o: TelemetryOptions) {
    this.batcher = new Batcher({ ...o, send: (batch, id) => o.sink(batch, id) })
  }

  /**
   * Records `metric` for the unit under every experiment it is exposed to (or those
   * named). Returns how many events were queued; a full buffer counts drops instead.
   */
  track(input: { unitId: string; metric: string; value?: number; outcome?: boolean; attributes?: Attributes; experiments?: string[]; ts?: number }): number {
    let queued = 0
    const ts = input.ts ?? Date.now()
    for (const experimentId of input.experiments ?? this.client.experimentIds()) {
      const a = this.client.evaluate(experimentId, input.unitId, input.attributes)
      if (!a.exposed) continue
      const event: TelemetryEvent = { eventId: randomUUID(), ts, experimentId, variant: a.variant, unitId: input.unitId, service: this.o.service, metric: input.metric, attributes: input.attributes ?? {} }
      if (input.outcome !== undefined) event.outcome = input.outcome
      else event.value = input.value ?? 1
      if (this.batcher.push(event)) queued++
    }
    return queued
  }

  /** An event already tagged by the caller. */
  send(event: TelemetryEvent): boolean {
    return this.batcher.push(event)
  }

  stats(): BatcherStats {
    return this.batcher.stats()
  }

  flush(): Promise<void> {
    return this.batcher.flush()
  }

  close(): Promise<void> {
    return this.batcher.close()
  }
}
