/**
 * A whole embedded Runway in its own process, for the outbox crash-window test
 * (test/integration/notify-crash-window.test.ts). Env: the usual RUNWAY_* plus
 *   NOTIFY_CHILD_MODE=crash — enqueue NOTIFY_EXPERIMENT, wait until it runs and its events
 *     are delivered, then pause it; the process kills itself (SIGKILL) when the paused
 *     event is about to be written to the outbox, i.e. after its ledger entry is committed;
 *   NOTIFY_CHILD_MODE=serve — start, and print `idle` once nothing is left to deliver.
 * Prints JSON lines: started, running, idle.
 */
import pino from 'pino'
import { loadConfig } from '../../src/config.js'
import type { Warehouse } from '../../src/ports/warehouse.js'
import { createRuntime, embeddedPorts } from '../../src/services/runtime.js'
import { waitFor } from './wait.js'

for (const k of ['KAFKA_BROKERS', 'REDIS_URL', 'CLICKHOUSE_URL', 'RUNWAY_ROLE']) delete process.env[k]
const say = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`)

const mode = process.env.NOTIFY_CHILD_MODE
const experiment = process.env.NOTIFY_EXPERIMENT ?? 'crash-exp'
const config = loadConfig(process.env)
const log = pino({ level: config.logLevel }, pino.destination(2))
const ports = await embeddedPorts(config, log)
const inner = ports.warehouse
const warehouse: Warehouse = {
  command: (sql) => inner.command(sql),
  select: (sql, params) => inner.select(sql, params),
  insert: (table, rows, options) => {
    // The kill between the two steps: the ledger entry is durable, its outbox row is not written.
    if (mode === 'crash' && table === 'notify_outbox' && rows.some((r) => r.type === 'paused')) process.kill(process.pid, 'SIGKILL')
    return inner.insert(table, rows, options)
  },
  close: () => inner.close(),
}
const runtime = createRuntime(config, { ...ports, warehouse }, log)
await runtime.start()
say({ type: 'started' })
process.on('SIGTERM', () => void runtime.stop().then(() => process.exit(0)))
const dispatcher = runtime.notify.dispatcher!
const delivered = () => [...dispatcher.stats.values()].reduce((n, s) => n + s.delivered, 0)

if (mode === 'crash') {
  const spec = {
    id: experiment, layer: `${experiment}-layer`, owner: 'crash-test', hypothesis: 'B beats A',
    variants: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }],
    metrics: { primary: { name: 'conversion' }, guardrails: [{ name: 'error_rate', direction: 'decrease' }] },
  }
  await runtime.queue.enqueue(spec, { type: 'person', id: 'crash-test' })
  await waitFor(async () => (await runtime.state.get(experiment))?.state === 'running', { what: `${experiment} running`, timeoutMs: 60_000 })
  await waitFor(() => dispatcher.idle && delivered() >= 3, { what: 'the first three events delivered', timeoutMs: 60_000 })
  say({ type: 'running', delivered: delivered() })
  await runtime.queue.apply(experiment, (r) => (r.state === 'running' ? { request: { to: 'paused', actor: { type: 'person', id: 'crash-test' }, reason: 'crash window test', at: Date.now() } } : null))
  say({ type: 'not-killed' })
} else {
  await waitFor(() => dispatcher.idle, { what: 'nothing left to deliver', timeoutMs: 60_000 })
  say({ type: 'idle', delivered: delivered() })
}
