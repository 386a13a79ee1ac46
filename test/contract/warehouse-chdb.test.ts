import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'
import { embeddedWarehouse } from '../../src/adapters/warehouse/clickhouse-warehouse.js'
import { runWarehouseContract } from './warehouse.contract.js'

// chDB opens one data directory per process: one directory for this whole file.
let dir: string | undefined
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
})

runWarehouseContract({
  name: 'chDB (embedded)',
  create: async () => {
    dir = await mkdtemp(join(tmpdir(), 'runway-contract-chdb-'))
    return embeddedWarehouse(dir)
  },
})
