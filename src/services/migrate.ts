import { ConflictError } from '../errors.js'
import type { Warehouse } from '../ports/warehouse.js'
import { migrationFiles, sqlQuery } from '../sql-files.js'

export interface MigrateResult {
  applied: string[]
  alreadyApplied: string[]
}

const TRACKING_TABLE = `CREATE TABLE IF NOT EXISTS runway_migrations
(name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
ENGINE = ReplacingMergeTree ORDER BY name`

/**
 * Applies sql/migrations in order and records each; safe to run twice. A
 * migration whose file changed after it was applied is refused, not re-run.
 */
export async function migrate(warehouse: Warehouse, onProgress: (line: string) => void = () => {}): Promise<MigrateResult> {
  await warehouse.command(TRACKING_TABLE)
  const done = new Map(
    (await warehouse.select<{ name: string; checksum: string }>(sqlQuery('applied-migrations'))).map((r) => [r.name, r.checksum]),
  )
  const result: MigrateResult = { applied: [], alreadyApplied: [] }
  for (const m of migrationFiles()) {
    const previous = done.get(m.name)
    if (previous !== undefined) {
      if (previous !== m.checksum) {
        throw new ConflictError(`migration ${m.name} was changed after it was applied (checksum ${previous} → ${m.checksum}); add a new migration instead`, 'MIGRATION_CHANGED')
      }
      result.alreadyApplied.push(m.name)
      continue
    }
    onProgress(`applying ${m.name} (${m.statements.length} statements)`)
    for (const statement of m.statements) await warehouse.command(statement)
    await warehouse.insert('runway_migrations', [{ name: m.name, checksum: m.checksum }])
    result.applied.push(m.name)
  }
  return result
}
