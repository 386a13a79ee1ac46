import { join } from 'node:path'
import { embeddedWarehouse } from '../../adapters/warehouse/clickhouse-warehouse.js'
import type { RunwayConfig } from '../../config.js'
import { migrate } from '../../services/migrate.js'

/** `runway migrate`: applies sql/migrations in order; running it twice changes nothing. */
export async function migrateCommand(config: RunwayConfig): Promise<void> {
  const warehouse = embeddedWarehouse(join(config.dataDir, 'warehouse'))
  try {
    const result = await migrate(warehouse, (line) => console.log(line))
    console.log(`migrations: ${result.applied.length} applied, ${result.alreadyApplied.length} already applied (${config.dataDir})`)
  } finally {
    await warehouse.close()
  }
}
