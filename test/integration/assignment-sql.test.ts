import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { embeddedWarehouse } from '../../src/adapters/warehouse/clickhouse-warehouse.js'
import { bucketOf, layerSalt, variantSalt } from '../../src/domain/assignment.js'
import { sqlQuery } from '../../src/sql-files.js'

const dir = mkdtempSync(join(tmpdir(), 'runway-hash-'))
const warehouse = embeddedWarehouse(dir)
afterAll(async () => {
  await warehouse.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('assignment hash: the gate and ClickHouse SQL agree', () => {
  it.each([layerSalt('default', 'checkout'), variantSalt('exp-1'), 'ünïcödé/salt'])('for 20,000 units with salt %s', async (salt) => {
    const units = Array.from({ length: 20_000 }, (_, i) => (i % 7 === 0 ? `usér-${i}-✓` : `user-${i}`))
    const rows = await warehouse.select<{ unit_id: string; bucket: number }>(sqlQuery('unit-buckets'), { salt, units } as never)
    expect(rows).toHaveLength(units.length)
    const mismatches = rows.filter((r) => Number(r.bucket) !== bucketOf(salt, r.unit_id))
    expect(mismatches).toEqual([])
  })
})
