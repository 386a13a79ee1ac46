import type { Logger } from 'pino'
import { buildGateConfig, changesGateConfig, type GateConfig } from '../domain/gate-config.js'
import type { ExperimentRecord } from '../domain/experiment-record.js'
import type { LifecycleEvent } from '../domain/lifecycle.js'
import { type Bus, type Subscription, TOPICS } from '../ports/bus.js'
import type { Clock } from '../ports/clock.js'
import type { StateStore } from '../ports/state-store.js'

export interface GateConfigDeps {
  state: Pick<StateStore, 'list' | 'snapshot'>
  clock: Clock
  log: Logger
  /**
   * Backstop rebuild interval for missed notifications (a dropped pub/sub message,
   * a write from another process with no notification). Default 5 s; 0 turns it off.
   */
  refreshMs?: number
}

type Listener = (config: GateConfig) => void

/**
 * Builds gate configs from live state and tells subscribers (the SSE streams) about
 * each new version. A rebuild is triggered by lifecycle events (in-process bus), by
 * state change notifications (Redis pub/sub on API replicas), and by a slow timer.
 * Rebuilds are coalesced: a burst of transitions costs one `state.list()`.
 */
export class GateConfigService {
  /** The newest config of every namespace together; tenants' configs are cut from its records. */
  private records: ReadonlyArray<ExperimentRecord> | null = null
  private readonly listeners = new Map<string | null, Set<Listener>>()
  private readonly lastSent = new Map<string | null, number>()
  private pending: Promise<void> | null = null
  private again = false
  private timer: NodeJS.Timeout | null = null
  private subscription: Subscription | null = null

  constructor(private readonly d: GateConfigDeps) {}

  /** Starts listening for changes: lifecycle events on the bus (when given) and the refresh timer. */
  async start(opts: { bus?: Bus; group?: string } = {}): Promise<void> {
    if (opts.bus) {
      this.subscription = await opts.bus.subscribe(TOPICS.lifecycle, opts.group ?? 'gate-config', async (msg) => {
        if (changesGateConfig(msg.value as LifecycleEvent)) this.changed()
      })
    }
    const every = this.d.refreshMs ?? 5_000
    if (every > 0) {
      this.timer = setInterval(() => this.changed(), every)
      this.timer.unref()
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    await this.subscription?.close()
    this.listeners.clear()
    await this.pending
  }

  /** The current config of `tenant` (null: all namespaces), built from state if nothing is cached. */
  async current(tenant: string | null): Promise<GateConfig> {
    if (!this.records) await this.rebuild()
    return buildGateConfig({ records: this.records ?? [], tenant, now: this.d.clock.now() })
  }

  /** Something changed: rebuild soon (one rebuild at a time, and one more if asked meanwhile). */
  changed(): void {
    if (this.pending) {
      this.again = true
      return
    }
    this.pending = (async () => {
      do {
        this.again = false
        try {
          await this.rebuild()
        } catch (err) {
          this.d.log.warn({ err }, 'gate config rebuild failed; keeping the previous one')
        }
      } while (this.again)
    })().finally(() => {
      this.pending = null
    })
  }

  /** Receives the tenant's config now and on every new version; returns the unsubscribe function. */
  subscribe(tenant: string | null, listener: Listener): () => void {
    let set = this.listeners.get(tenant)
    if (!set) this.listeners.set(tenant, (set = new Set()))
    set.add(listener)
    return () => {
      set.delete(listener)
      if (set.size === 0) this.listeners.delete(tenant)
    }
  }

  get subscriberCount(): number {
    let n = 0
    for (const s of this.listeners.values()) n += s.size
    return n
  }

  private async rebuild(): Promise<void> {
    // Shared records where the store has them: copying 10,000 each rebuild stalls the event loop.
    this.records = await (this.d.state.snapshot?.() ?? this.d.state.list())
    const now = this.d.clock.now()
    for (const [tenant, set] of this.listeners) {
      const config = buildGateConfig({ records: this.records, tenant, now })
      // Unchanged tenants hear nothing: versions only grow with transitions.
      if (this.lastSent.get(tenant) === config.version) continue
      this.lastSent.set(tenant, config.version)
      for (const listener of set) {
        try {
          listener(config)
        } catch (err) {
          this.d.log.warn({ err }, 'gate config subscriber failed')
        }
      }
    }
  }
}
