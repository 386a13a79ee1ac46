/**
 * Child of group-commit-restart.test.ts: one process on a data directory, group commit on.
 *   GC_MODE=first — 16 concurrent 100-event batches (the first goes alone, the rest are
 *     grouped), a line per acknowledged batch, then waits to be killed (SIGKILL).
 *   GC_MODE=crash — the same 16, but the process kills itself (SIGKILL) right after the combined
 *     insert returned, before any of its batches is acknowledged.
 *   GC_MODE=retry — a new process on the same directory: every batch again concurrently
 *     with 4 new ones, then batch 3 alone; prints the counts and exits.
 */
import { pino } from 'pino'
import { SystemClock } from '../../src/adapters/clock/system-clock.js'
import { MemoryStateStore } from '../../src/adapters/state/memory-state.js'
import { embeddedWarehouse } from '../../src/adapters/warehouse/clickhouse-warehouse.js'
import { newRecord } from '../../src/domain/experiment-record.js'
import { ExperimentSpecSchema } from '../../src/domain/experiment.js'
import type { Warehouse } from '../../src/ports/warehouse.js'
import { IngestService } from '../../src/services/ingest.js'
import { migrate } from '../../src/services/migrate.js'

const dir = process.env.GC_DIR!
const exp = process.env.GC_EXP!
const ts = Number(process.env.GC_TS)
const say = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`)

const engine = embeddedWarehouse(dir)
await migrate(engine)
const warehouse: Warehouse = process.env.GC_MODE !== 'crash' ? engine : {
  command: (sql) => engine.command(sql),
  select: (sql, p) => engine.select(sql, p),
  close: () => engine.close(),
  insert: async (table, rows, o) => {
    await engine.insert(table, rows, o)
    // The combined insert is stored; its callers are not answered yet.
    if (table === 'events' && rows.length > 100) process.kill(process.pid, 'SIGKILL')
  },
}
const state = new MemoryStateStore()
const spec = ExperimentSpecSchema.parse({
  id: exp, owner: 't', hypothesis: 'h', variants: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }],
  rollout: { steps: [{ exposure: 100, minDuration: '1h' }] }, metrics: { primary: { name: 'conversion', direction: 'increase' } },
})
await state.put({ ...newRecord(spec, Date.now()), state: 'running' }, null)
const ingest = new IngestService({ warehouse, state, clock: new SystemClock(), log: pino({ level: 'silent' }), limits: { maxBytes: 1e9, maxEvents: 1e6, groupCommitRows: 50_000 } })
const body = (batch: number) =>
  Array.from({ length: 100 }, (_, k) => JSON.stringify({ eventId: `${exp}-${batch}-${k}`, ts, experimentId: exp, variant: k % 2 ? 'treatment' : 'control', unitId: `u-${k}`, metric: 'conversion', value: k })).join('\n')
const send = (batch: number) => ingest.ingest({ body: body(batch), format: 'ndjson', source: 't' })

if (process.env.GC_MODE === 'first' || process.env.GC_MODE === 'crash') {
  await Promise.all(Array.from({ length: 16 }, async (_, b) => say({ type: 'acked', batch: b, accepted: (await send(b)).accepted })))
  say({ type: 'all-acked', ...ingest.coalescer!.stats })
  setInterval(() => {}, 60_000) // stays up until the test kills it
} else {
  await Promise.all([...Array.from({ length: 16 }, (_, b) => send(b)), ...Array.from({ length: 4 }, (_, b) => send(100 + b))])
  await send(3)
  const [c] = await warehouse.select<{ n: string; d: string }>('SELECT count() AS n, uniqExact(event_id) AS d FROM events WHERE experiment_id = {e:String}', { e: exp })
  say({ type: 'counts', total: Number(c!.n), distinct: Number(c!.d), ...ingest.coalescer!.stats })
  await warehouse.close()
  process.exit(0)
}
