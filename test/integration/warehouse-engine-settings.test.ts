import { afterAll, describe, expect, it } from 'vitest'
import { embeddedWarehouse, engineSettingsOf } from '../../src/adapters/warehouse/clickhouse-warehouse.js'
import { sqlQuery } from '../../src/sql-files.js'
import { tempDirs } from '../support/temp-dir.js'

// No migrations needed: the queries read settings only.
const warehouse = embeddedWarehouse(tempDirs('runway-engine-settings-')())
afterAll(() => warehouse.close())

describe('engine settings named by a SQL file (-- engine-settings:)', () => {
  it('are applied by the embedded engine to that query only', async () => {
    const hinted = await warehouse.select<{ v: string }>("-- engine-settings: max_block_size = 1234, optimize_aggregation_in_order = 1\nSELECT toString(getSetting('max_block_size')) AS v")
    expect(hinted).toEqual([{ v: '1234' }])
    const plain = await warehouse.select<{ v: string }>("SELECT toString(getSetting('max_block_size')) AS v")
    expect(plain[0]!.v).not.toBe('1234')
  })

  it('are read from the evaluation files that bound their memory, and refused when malformed', () => {
    expect(engineSettingsOf(sqlQuery('variant-stats-batch'))).toEqual({ optimize_aggregation_in_order: 1 })
    expect(engineSettingsOf(sqlQuery('ratio-stats-batch'))).toBeUndefined()
    expect(() => engineSettingsOf("-- engine-settings: readonly = '0'\nSELECT 1")).toThrow(/bad engine-settings/)
    // No file keeps a SETTINGS clause in its text: runway's ClickHouse endpoint (the server adapter's peer in tests) refuses it.
    for (const name of ['variant-stats-batch', 'variant-units-batch', 'misrouting-summary-batch', 'cuped-stats-batch', 'interference-cells']) {
      expect(sqlQuery(name)).not.toMatch(/^\s*SETTINGS\b/m)
    }
  })
})
