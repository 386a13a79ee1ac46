/**
 * Server-sent events over `fetch` (Node 20 has no global EventSource): enough of
 * the format for Runway's stream — `event`, `data` (multi-line joined), `id`,
 * comments ignored — with a watchdog that gives up on a stream that went quiet.
 */

export interface SseEvent {
  event: string
  data: string
  id: string | null
}

export interface StreamOptions {
  url: string
  headers?: Record<string, string>
  fetch?: typeof fetch
  /** Abort when no byte arrived for this long (a half-open connection never errors by itself). */
  idleTimeoutMs: number
  signal: AbortSignal
  onOpen?: () => void
  onEvent: (event: SseEvent) => void
}

/** Splits a text stream into events; `feed` takes chunks, returns complete events. */
export class SseParser {
  private buffer = ''
  private event = ''
  private data: string[] = []
  private id: string | null = null

  feed(chunk: string): SseEvent[] {
    this.buffer += chunk
    const out: SseEvent[] = []
    let nl: number
    while ((nl = this.buffer.search(/\r\n|\n|\r/)) >= 0) {
      const line = this.buffer.slice(0, nl)
      // A lone \r at the end of a chunk may be the first half of \r\n: wait for more.
      if (this.buffer[nl] === '\r' && nl === this.buffer.length - 1) break
      this.buffer = this.buffer.slice(nl + (this.buffer.startsWith('\r\n', nl) ? 2 : 1))
      if (line === '') {
        if (this.data.length > 0) out.push({ event: this.event || 'message', data: this.data.join('\n'), id: this.id })
        this.event = ''
        this.data = []
        continue
      }
      if (line.startsWith(':')) continue
      const colon = line.indexOf(':')
      const field = colon < 0 ? line : line.slice(0, colon)
      let value = colon < 0 ? '' : line.slice(colon + 1)
      if (value.startsWith(' ')) value = value.slice(1)
      if (field === 'event') this.event = value
      else if (field === 'data') this.data.push(value)
      else if (field === 'id') this.id = value
    }
    return out
  }
}

/** Reads one stream until it ends, fails, goes idle or is aborted; rejects unless aborted by the caller. */
export async function readStream(opts: StreamOptions): Promise<void> {
  const local = new AbortController()
  const abort = () => local.abort()
  opts.signal.addEventListener('abort', abort, { once: true })
  let idle: NodeJS.Timeout | null = null
  const arm = () => {
    if (idle) clearTimeout(idle)
    idle = setTimeout(() => local.abort(new Error(`stream idle for ${opts.idleTimeoutMs} ms`)), opts.idleTimeoutMs)
  }
  try {
    arm()
    const res = await (opts.fetch ?? fetch)(opts.url, { headers: { accept: 'text/event-stream', ...opts.headers }, signal: local.signal })
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => {})
      throw new Error(`stream answered ${res.status}`)
    }
    opts.onOpen?.()
    const parser = new SseParser()
    const decoder = new TextDecoder()
    const reader = res.body.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) throw new Error('stream ended')
      arm()
      for (const event of parser.feed(decoder.decode(value, { stream: true }))) opts.onEvent(event)
    }
  } catch (error) {
    if (opts.signal.aborted) return
    throw local.signal.aborted && local.signal.reason instanceof Error ? local.signal.reason : error
  } finally {
    if (idle) clearTimeout(idle)
    opts.signal.removeEventListener('abort', abort)
    local.abort()
  }
}
