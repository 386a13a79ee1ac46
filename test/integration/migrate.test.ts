import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { embeddedWarehouse } from '../../src/adapters/warehouse/clickhouse-warehouse.js'
import { migrate } from '../../src/services/migrate.js'
import { migrationFiles } from '../../src/sql-files.js'

const dir = mkdtempSync(join(tmpdir(), 'runway-migrate-'))
const warehouse = embeddedWarehouse(dir)
afterAll(async () => {
  await warehouse.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('migrate on the embedded engine', () => {
  it('applies every migration once, in order, and is safe to run twice', async () => {
    const names = migrationFiles().map((m) => m.name)
    expect(names.length).toBeGreaterThanOrEqual(3)
    expect([...names].sort()).toEqual(names)
    const first = await migrate(warehouse)
    expect(first).toEqual({ applied: names, alreadyApplied: [] })
    const second = await migrate(warehouse)
    expect(second).toEqual({ applied: [], alreadyApplied: names })
    const recorded = await warehouse.select<{ name: string }>('SELECT name FROM runway_migrations FINAL ORDER BY name')
    expect(recorded.map((r) => r.name)).toEqual(names)
  })

  it('creates the tables the loop needs, with deduplication windows on retried tables', async () => {
    const tables = await warehouse.select<{ name: string; create_table_query: string }>(
      "SELECT name, create_table_query FROM system.tables WHERE database = currentDatabase() ORDER BY name",
    )
    const byName = new Map(tables.map((t) => [t.name, t.create_table_query]))
    for (const t of ['events', 'dead_letters', 'unit_metrics', 'verdicts', 'lifecycle', 'experiments', 'ingest_batches']) {
      expect(byName.has(t), t).toBe(true)
    }
    for (const t of ['events', 'dead_letters', 'verdicts', 'lifecycle', 'ingest_batches']) {
      expect(byName.get(t), t).toMatch(/non_replicated_deduplication_window = \d+/)
    }
    // Per-unit aggregates are a projection inside each events part (0010), read through the unit_metrics view.
    expect(byName.has('unit_metrics_mv')).toBe(false)
    expect(byName.get('events')).toMatch(/PROJECTION unit_agg/)
    expect(byName.get('unit_metrics')).toMatch(/^CREATE VIEW/)
  })

  it('refuses to continue when an applied migration file was changed', async () => {
    await warehouse.insert('runway_migrations', [{ name: '0001_events', checksum: 'deadbeefdeadbeef' }])
    await expect(migrate(warehouse)).rejects.toMatchObject({ code: 'MIGRATION_CHANGED' })
  })
})
