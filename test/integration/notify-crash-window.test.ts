import { mkdtempSync, rmSync } from 'node:fs'
import { type IncomingMessage, createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ChildScript, runScript } from '../support/child-lines.js'
import { waitFor } from '../support/wait.js'

/**
 * The window between a committed ledger entry and its outbox row: a process killed with
 * SIGKILL right there (the child kills itself when the paused event is about to be
 * written) left a transition that nobody would be told about. The next process queues it
 * from the ledger on start: the paused event is delivered, once, after the earlier ones.
 */
const dir = mkdtempSync(join(tmpdir(), 'runway-notify-crash-'))
const experiment = `crash-${Date.now().toString(36)}`
const received: Array<{ id: string; type: string; experimentId: string }> = []
const children: ChildScript[] = []

const body = (req: IncomingMessage) => new Promise<string>((resolve) => {
  let s = ''
  req.setEncoding('utf8').on('data', (d: string) => (s += d)).on('end', () => resolve(s))
})
const hook = createServer(async (req, res) => {
  received.push(JSON.parse(await body(req)) as (typeof received)[number])
  res.writeHead(200).end('ok')
})
let hookUrl = ''

function child(mode: 'crash' | 'serve'): ChildScript {
  const c = runScript('./notify-crash-child.ts', {
    NOTIFY_CHILD_MODE: mode, NOTIFY_EXPERIMENT: experiment, RUNWAY_DATA_DIR: dir, RUNWAY_WEBHOOK_URLS: hookUrl,
    RUNWAY_SCHEDULE_INTERVAL: '200ms', RUNWAY_NOTIFY_RETRY_BASE: '100ms', RUNWAY_NOTIFY_RETRY_MAX: '500ms', RUNWAY_LOG_LEVEL: 'warn',
  })
  children.push(c)
  return c
}
const types = () => received.filter((e) => e.experimentId === experiment).map((e) => e.type)

beforeAll(async () => {
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve))
  hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`
})

afterAll(async () => {
  for (const c of children) await c.stop(2_000)
  hook.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('outbox crash window', () => {
  it('a transition whose outbox write never happened is delivered once after restart', async () => {
    const first = child('crash')
    await first.waitFor((l) => l.type === 'running', 120_000)
    await waitFor(() => first.child.signalCode === 'SIGKILL' || first.lines.some((l) => l.type === 'not-killed'), { what: 'the child killed in the window', timeoutMs: 30_000, detail: first.stderr })
    expect(first.child.signalCode).toBe('SIGKILL')
    expect(types()).toEqual(['queued', 'scheduled', 'started'])

    const second = child('serve')
    await waitFor(() => types().includes('paused'), { what: 'the paused event after restart', timeoutMs: 120_000, detail: second.stderr })
    await second.waitFor((l) => l.type === 'idle', 30_000)
    expect(types()).toEqual(['queued', 'scheduled', 'started', 'paused'])
    await second.stop()

    // A third start finds nothing missing and nothing undelivered: still one event per fact.
    const third = child('serve')
    await third.waitFor((l) => l.type === 'idle', 120_000)
    await third.stop()
    const ids = received.filter((e) => e.experimentId === experiment).map((e) => e.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(types()).toEqual(['queued', 'scheduled', 'started', 'paused'])
  }, 300_000)
})
