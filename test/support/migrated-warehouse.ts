import { afterAll, beforeAll } from 'vitest'
import { type ClickHouseWarehouse, embeddedWarehouse } from '../../src/adapters/warehouse/clickhouse-warehouse.js'
import { migrate } from '../../src/services/migrate.js'
import { tempDirs } from './temp-dir.js'

/**
 * The real engine for the calling test file (or describe): an embedded warehouse in a data
 * directory of its own, migrated before the tests, closed and its directory removed after.
 * Returns how to reach it (only from hooks and tests: it opens in beforeAll).
 */
export function migratedWarehouse(prefix: string): () => ClickHouseWarehouse {
  const newDir = tempDirs(prefix)
  let warehouse: ClickHouseWarehouse | null = null
  beforeAll(async () => {
    warehouse = embeddedWarehouse(newDir())
    await migrate(warehouse)
  })
  afterAll(async () => {
    await warehouse?.close()
  })
  return () => {
    if (!warehouse) throw new Error('migratedWarehouse: the warehouse opens in beforeAll; use it from hooks and tests')
    return warehouse
  }
}
