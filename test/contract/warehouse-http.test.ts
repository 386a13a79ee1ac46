import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll } from 'vitest'
import { chdbRawSql, type ChdbRawSql } from '../../src/adapters/warehouse/chdb-raw-sql.js'
import { type ClickHouseWarehouse, embeddedWarehouse, serverWarehouse } from '../../src/adapters/warehouse/clickhouse-warehouse.js'
import { registerClickHouseRoutes } from '../../src/api/routes/clickhouse-http.js'
import { runWarehouseContract } from './warehouse.contract.js'

/**
 * The server adapter (the official client over HTTP, as against a ClickHouse
 * server) passes the same contract. No ClickHouse server can be installed here,
 * so the HTTP side is runway's own ClickHouse-compatible endpoint, writable, over
 * an embedded engine in this process.
 */
let dir: string | undefined
let app: FastifyInstance | undefined
let raw: ChdbRawSql | undefined
let holder: ClickHouseWarehouse | undefined

afterAll(async () => {
  await app?.close()
  await raw?.close()
  await holder?.close()
  if (dir) await rm(dir, { recursive: true, force: true })
})

runWarehouseContract({
  name: 'ClickHouse over HTTP (official client)',
  create: async () => {
    dir = await mkdtemp(join(tmpdir(), 'runway-contract-http-'))
    // The endpoint's sessions share the engine this connection opens for the process.
    holder = embeddedWarehouse(dir)
    raw = chdbRawSql({ path: dir, maxConcurrent: 4 })
    app = Fastify()
    registerClickHouseRoutes(app, { rawSql: raw, prefix: '/clickhouse', writable: true, user: 'default', password: 'pw' })
    await app.listen({ host: '127.0.0.1', port: 0 })
    const port = (app.server.address() as { port: number }).port
    return serverWarehouse(`http://default:pw@127.0.0.1:${port}/clickhouse`)
  },
})
