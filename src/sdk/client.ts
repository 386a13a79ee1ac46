import { type CompiledExperiment, compileExperiment, type Evaluation } from '../domain/fast-assignment.js'
import { changedExperiments, checkGateConfig, type GateConfig, type GateExperiment } from '../domain/gate-config.js'
import type { Attributes } from '../domain/targeting.js'
import { readStream } from './sse.js'

export interface RunwayClientOptions {
  /** Where Runway's API is, e.g. http://127.0.0.1:8080. */
  baseUrl: string
  /** Evaluate only this tenant's (namespace's) experiments; omit for every namespace. */
  tenant?: string
  /** `sse` (default): pushed changes, polling while the stream is down. `poll`: polling only. */
  transport?: 'sse' | 'poll'
  /** Poll interval while the stream is down (or always, with transport poll). Default 2 s. */
  pollIntervalMs?: number
  /** Heartbeat cadence asked of the server; the stream is dropped after 3 missed ones. Default 5 s. */
  heartbeatMs?: number
  /** Without a confirmed-current config for this long, the client reports stale. Default 30 s. */
  staleAfterMs?: number
  /** Reconnect backoff bounds (exponential with jitter). Default 100 ms … 5 s. */
  backoff?: { minMs: number; maxMs: number }
  /** Extra request headers (e.g. authorization). */
  headers?: Record<string, string>
  /** A config to serve before the first fetch (e.g. saved by a previous run); validated like a push. */
  bootstrap?: unknown
  fetch?: typeof fetch
  /** Transport problems (reconnects, refused pushes); the client keeps working through them. */
  onError?: (error: Error) => void
}

export interface ClientStatus {
  version: number | null
  stale: boolean
  connected: boolean
  /** Epoch ms when the server last confirmed the config current (push, heartbeat, poll). */
  confirmedAt: number | null
  accepted: number
  /** Pushes or polls refused: invalid, partial, wrong tenant or checksum mismatch. The previous config stays. */
  rejected: number
  lastRejection: string[] | null
}

export type ChangeListener = (changedFlagKeys: string[], config: GateConfig) => void

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true })
  })

/**
 * Local evaluation against a config streamed from Runway. Assignments never wait on
 * the network: they read the compiled config in memory. When the server is
 * unreachable, the last good config keeps serving and `stale` turns true after
 * `staleAfterMs`; it turns false again once the server confirms a current config.
 */
export class RunwayClient {
  private config: GateConfig | null = null
  private compiled = new Map<string, CompiledExperiment>()
  private readonly changeListeners = new Set<ChangeListener>()
  private readonly staleListeners = new Set<(stale: boolean) => void>()
  private readonly stop = new AbortController()
  private readonly o: Required<Omit<RunwayClientOptions, 'tenant' | 'bootstrap' | 'fetch' | 'onError'>> & RunwayClientOptions
  private readonly timers: NodeJS.Timeout[] = []
  private counters = { accepted: 0, rejected: 0 }
  private lastRejection: string[] | null = null
  private confirmedAt: number | null = null
  private connected = false
  private isStale = true
  private etag: string | null = null
  private readonly firstConfig: Promise<void>
  private resolveFirst: () => void = () => {}
  private started = false

  constructor(options: RunwayClientOptions) {
    this.o = { transport: 'sse', pollIntervalMs: 2_000, heartbeatMs: 5_000, staleAfterMs: 30_000, backoff: { minMs: 100, maxMs: 5_000 }, headers: {}, ...options, baseUrl: options.baseUrl.replace(/\/+$/, '') }
    this.firstConfig = new Promise((resolve) => (this.resolveFirst = resolve))
    if (options.bootstrap !== undefined) this.offer(options.bootstrap, 'bootstrap')
  }

  /** Connects and waits (up to `timeoutMs`) for a config; resolves either way — check `status()`. */
  async start(timeoutMs = 5_000): Promise<ClientStatus> {
    if (!this.started) {
      this.started = true
      const tick = Math.max(20, Math.min(250, this.o.staleAfterMs / 4))
      this.timers.push(setInterval(() => this.checkStale(), tick))
      this.timers.push(setInterval(() => void ((this.o.transport === 'poll' || !this.connected) && this.poll()), this.o.pollIntervalMs))
      for (const t of this.timers) t.unref()
      if (this.o.transport === 'sse') void this.streamLoop()
      else void this.poll()
    }
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref())
    await Promise.race([this.firstConfig, timeout])
    return this.status()
  }

  close(): void {
    this.stop.abort()
    for (const t of this.timers.splice(0)) clearInterval(t)
  }

  /** The hot path: the variant of `flagKey` (experiment id) for this unit, or null when not exposed. */
  variant(flagKey: string, unitId: string, attributes?: Attributes): string | null {
    const c = this.compiled.get(flagKey)
    return c ? c.evaluate(unitId, attributes).variant : null
  }

  /** The assignment with its reason; `flag_not_found` when the config has no such experiment. */
  evaluate(flagKey: string, unitId: string, attributes?: Attributes): Evaluation | { exposed: false; variant: null; reason: 'flag_not_found' } {
    const c = this.compiled.get(flagKey)
    return c ? c.evaluate(unitId, attributes) : { exposed: false, variant: null, reason: 'flag_not_found' }
  }

  experiment(flagKey: string): GateExperiment | undefined {
    return this.compiled.get(flagKey)?.experiment
  }

  experimentIds(): string[] {
    return [...this.compiled.keys()]
  }

  get current(): GateConfig | null {
    return this.config
  }

  get stale(): boolean {
    return this.isStale
  }

  status(): ClientStatus {
    return { version: this.config?.version ?? null, stale: this.isStale, connected: this.connected, confirmedAt: this.confirmedAt, ...this.counters, lastRejection: this.lastRejection }
  }

  /** Called with the experiment ids whose answers may have changed, after each accepted config. */
  onChange(listener: ChangeListener): () => void {
    this.changeListeners.add(listener)
    return () => this.changeListeners.delete(listener)
  }

  /** Called when the client becomes stale (true) and when it recovers (false). */
  onStale(listener: (stale: boolean) => void): () => void {
    this.staleListeners.add(listener)
    return () => this.staleListeners.delete(listener)
  }

  /**
   * Takes a config from any source: validated (schema, tenant, checksum) and applied only
   * if newer. A refused one is counted and the previous config keeps serving.
   */
  offer(raw: unknown, source: string): boolean {
    const checked = checkGateConfig(raw, this.o.tenant ?? null)
    if (!checked.ok) {
      this.counters.rejected++
      this.lastRejection = checked.problems
      this.o.onError?.(new Error(`config from ${source} refused: ${checked.problems.slice(0, 3).join('; ')}`))
      return false
    }
    const next = checked.config
    if (this.config && next.version <= this.config.version) {
      // Same version from a stream or poll: the server confirms what we hold.
      if (next.version === this.config.version) this.confirm()
      return false
    }
    const changed = changedExperiments(this.config, next)
    this.compiled = new Map(next.experiments.map((e) => [e.id, compileExperiment(e)]))
    this.config = next
    this.counters.accepted++
    if (source !== 'bootstrap') this.confirm()
    this.resolveFirst()
    for (const l of this.changeListeners) if (changed.length > 0) l(changed, next)
    return true
  }

  private confirm(): void {
    this.confirmedAt = Date.now()
    this.checkStale()
  }

  private checkStale(): void {
    const stale = this.config === null || this.confirmedAt === null || Date.now() - this.confirmedAt > this.o.staleAfterMs
    if (stale === this.isStale) return
    this.isStale = stale
    for (const l of this.staleListeners) l(stale)
  }

  private query(): string {
    return this.o.tenant ? `tenant=${encodeURIComponent(this.o.tenant)}` : ''
  }

  private async poll(): Promise<void> {
    if (this.stop.signal.aborted) return
    try {
      const headers: Record<string, string> = { ...this.o.headers, ...(this.etag && this.config ? { 'if-none-match': this.etag } : {}) }
      const res = await (this.o.fetch ?? fetch)(`${this.o.baseUrl}/v1/gate/config?${this.query()}`, { headers, signal: AbortSignal.any([this.stop.signal, AbortSignal.timeout(this.o.pollIntervalMs * 2)]) })
      if (res.status === 304) return this.confirm()
      if (!res.ok) throw new Error(`config poll answered ${res.status}`)
      const text = await res.text()
      let body: unknown
      try {
        body = JSON.parse(text)
      } catch {
        body = text
      }
      if (this.offer(body, 'poll') || this.config?.version === (body as GateConfig | null)?.version) this.etag = res.headers.get('etag')
    } catch (error) {
      if (!this.stop.signal.aborted) this.o.onError?.(error as Error)
    }
  }

  private async streamLoop(): Promise<void> {
    let attempt = 0
    const q = this.query()
    const url = `${this.o.baseUrl}/v1/gate/stream?heartbeat=${this.o.heartbeatMs}${q ? `&${q}` : ''}`
    while (!this.stop.signal.aborted) {
      try {
        await readStream({
          url,
          headers: this.o.headers,
          ...(this.o.fetch ? { fetch: this.o.fetch } : {}),
          idleTimeoutMs: this.o.heartbeatMs * 3,
          signal: this.stop.signal,
          onOpen: () => {
            this.connected = true
            attempt = 0
          },
          onEvent: (e) => this.onStreamEvent(e.event, e.data),
        })
      } catch (error) {
        this.o.onError?.(error as Error)
      }
      const wasConnected = this.connected
      this.connected = false
      if (this.stop.signal.aborted) break
      // The stream just dropped: ask once right away, then poll on the timer until it is back.
      if (wasConnected) void this.poll()
      const base = Math.min(this.o.backoff.maxMs, this.o.backoff.minMs * 2 ** attempt++)
      await sleep(base / 2 + Math.random() * (base / 2), this.stop.signal)
    }
  }

  private onStreamEvent(event: string, data: string): void {
    if (event === 'config') {
      let body: unknown
      try {
        body = JSON.parse(data)
      } catch {
        body = data // a truncated push: refused (and counted) by offer()
      }
      this.offer(body, 'stream')
    } else if (event === 'heartbeat') {
      let version: number | null = null
      try {
        version = Number((JSON.parse(data) as { version: unknown }).version)
      } catch {
        return
      }
      if (this.config && version === this.config.version) this.confirm()
      else if (this.config === null || version > this.config.version) void this.poll() // a push went missing
    }
  }
}
