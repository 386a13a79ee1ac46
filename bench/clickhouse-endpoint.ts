/**
 * What the /clickhouse allow-lists cost per query, on the embedded engine.
 *
 *   npx tsx bench/clickhouse-endpoint.ts [queries]
 *
 * Migrates a fresh warehouse, then runs one parameterized analyst query
 * (GROUP BY over events) `queries` times (default 300, after 20 warm-up runs)
 * through ChdbRawSql as the endpoint does (read-only, limits, allow-list check:
 * rendering, EXPLAIN AST, table existence lookup), and prints p50/p95/max.
 * Run the same file against an older checkout to compare (bench/README.md).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chdbRawSql } from '../src/adapters/warehouse/chdb-raw-sql.js'
import { embeddedWarehouse } from '../src/adapters/warehouse/clickhouse-warehouse.js'
import { migrate } from '../src/services/migrate.js'

const queries = Number(process.argv[2] ?? 300)
const dir = mkdtempSync(join(tmpdir(), 'runway-bench-ch-'))
const warehouse = embeddedWarehouse(dir)
await migrate(warehouse)
const raw = chdbRawSql({ path: dir })
const sql = 'SELECT variant, count() AS n, avg(value) FROM events WHERE experiment_id = {e:String} GROUP BY variant'
for (let i = 0; i < 20; i++) await raw.run(sql, { e: 'x' }, { readonly: true })
const ms: number[] = []
for (let i = 0; i < queries; i++) {
  const t = process.hrtime.bigint()
  await raw.run(sql, { e: 'x' }, { readonly: true })
  ms.push(Number(process.hrtime.bigint() - t) / 1e6)
}
ms.sort((a, b) => a - b)
const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]!.toFixed(2)
console.log(`${queries} queries: p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms`)
await raw.close()
await warehouse.close()
rmSync(dir, { recursive: true, force: true })
process.exit(0)
