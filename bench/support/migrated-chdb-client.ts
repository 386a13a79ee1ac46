import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ClickHouseClient, createClient } from '@clickhouse/client'
import { createChdbConnection } from 'chdb/connection'
import { embeddedWarehouse } from '../../src/adapters/warehouse/clickhouse-warehouse.js'
import { migrate } from '../../src/services/migrate.js'

/**
 * A new data dir with the real schema (every migration, in order, on the warehouse's own
 * connection), closed and reopened as one official client over chDB: the diagnostics then choose
 * each statement's settings themselves, with one session on the dir from here on.
 */
export async function migratedChdbClient(prefix: string): Promise<{ dir: string; chdb: ReturnType<typeof createChdbConnection>; client: ClickHouseClient }> {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  const wh = embeddedWarehouse(dir)
  await migrate(wh)
  await wh.close()
  const chdb = createChdbConnection({ path: dir })
  const client = createClient({ connection: chdb as unknown as NonNullable<Parameters<typeof createClient>[0]>['connection'] })
  return { dir, chdb, client }
}
