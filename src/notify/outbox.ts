import { createHash } from 'node:crypto'
import { type NotifyEvent, NotifyEventSchema } from '../domain/notify-event.js'
import { toWarehouseTime } from '../domain/telemetry.js'
import type { Clock } from '../ports/clock.js'
import type { Warehouse } from '../ports/warehouse.js'
import { sqlQuery } from '../sql-files.js'

export interface Queued {
  event: NotifyEvent
  /** Order within the experiment. */
  ord: number
}

/**
 * The durable outbox, in the warehouse (migration 0017): an event is stored before any
 * sink sees it, and a delivery is stored per sink once acknowledged, so what a killed
 * process had not delivered is found again by `pending`.
 */
export class Outbox {
  private lastOrd = 0

  constructor(private readonly warehouse: Warehouse, private readonly clock: Clock) {}

  /** Strictly increasing epoch microseconds: orders an experiment's events across restarts. */
  nextOrd(): number {
    this.lastOrd = Math.max(this.lastOrd + 1, this.clock.now() * 1000)
    return this.lastOrd
  }

  async append(items: ReadonlyArray<Queued>): Promise<void> {
    if (items.length === 0) return
    const token = createHash('sha256').update(items.map((q) => q.event.id).join('\n')).digest('hex')
    await this.warehouse.insert(
      'notify_outbox',
      items.map((q) => ({ id: q.event.id, experiment_id: q.event.experimentId, ord: q.ord, type: q.event.type, created_at: toWarehouseTime(q.event.at), body: JSON.stringify(q.event) })),
      { dedupToken: `outbox-${token}` },
    )
  }

  async delivered(sink: string, ids: ReadonlyArray<{ id: string; attempts: number }>): Promise<void> {
    if (ids.length === 0) return
    const now = toWarehouseTime(this.clock.now())
    await this.warehouse.insert('notify_deliveries', ids.map((x) => ({ sink, event_id: x.id, delivered_at: now, attempts: x.attempts })))
  }

  async pending(sink: string, limit: number): Promise<Queued[]> {
    const rows = await this.warehouse.select<{ id: string; ord: string | number; body: string }>(sqlQuery('outbox-pending'), { sink, limit })
    const out: Queued[] = []
    for (const r of rows) {
      const parsed = NotifyEventSchema.safeParse(JSON.parse(r.body))
      if (parsed.success) out.push({ event: parsed.data, ord: Number(r.ord) })
    }
    return out
  }

  /** The newest alert-carrying event per (experiment, rule), to rebuild open alerts. */
  async latestAlerts(): Promise<NotifyEvent[]> {
    const rows = await this.warehouse.select<{ latest: string }>(sqlQuery('outbox-alerts'))
    return rows.flatMap((r) => {
      const p = NotifyEventSchema.safeParse(JSON.parse(r.latest))
      return p.success ? [p.data] : []
    })
  }
}
