import { describe, expect, it } from 'vitest'
import { checkFormat, checkTables, clientSettings, engineError, limitSettings, namespaceFilters, quoteIdentifier, sqlString, statementShape } from '../../../src/adapters/warehouse/clickhouse-sql-text.js'
import { contentTypeOf, httpStatusOfCode, isTransportParam } from '../../../src/api/clickhouse-http-protocol.js'

// Inputs are real `formatQuerySingleLine` renderings (chDB 3.4), e.g. quotes inside literals come back as \'.
describe('statementShape over formatQuerySingleLine output', () => {
  it.each([
    ['SELECT 1', 'SELECT', undefined],
    ['SELECT count() FROM t WHERE x = {p:UInt8} FORMAT CSV SETTINGS max_threads = 1', 'SELECT', 'CSV'],
    ["SELECT 'a FORMAT JSON SETTINGS x' FORMAT CSV", 'SELECT', 'CSV'],
    ["SELECT 'x FORMAT JSON'", 'SELECT', undefined],
    ["SELECT 'it\\'s FORMAT CSV' AS `we\\`ird FORMAT JSON`", 'SELECT', undefined],
    ['SELECT format FROM t', 'SELECT', undefined],
    ['SELECT 1 AS FORMAT', 'SELECT', undefined],
    ['SELECT `FORMAT` FROM t FORMAT JSONEachRow', 'SELECT', 'JSONEachRow'],
    ['INSERT INTO t FORMAT JSONEachRow', 'INSERT', undefined],
    ['WITH 1 AS x SELECT x FORMAT Native', 'WITH', 'Native'],
    ['DESCRIBE TABLE t', 'DESCRIBE', undefined],
  ])('%s', (text, kind, format) => {
    expect(statementShape(text)).toMatchObject({ kind, format })
  })

  it('finds INTO OUTFILE and FROM INFILE only outside quotes', () => {
    expect(statementShape("SELECT 1 INTO OUTFILE 'x'").intoOutfile).toBe(true)
    expect(statementShape("SELECT 'INTO OUTFILE' AS s").intoOutfile).toBe(false)
    expect(statementShape('SELECT `into outfile` FROM t').intoOutfile).toBe(false)
    expect(statementShape("INSERT INTO t FROM INFILE '/etc/passwd' FORMAT CSV").fromInfile).toBe(true)
  })
})

describe('engineError', () => {
  it('unwraps nested engine exceptions into one code, type and message', () => {
    const e = engineError(
      'Code: 73. DB::Exception: Code: 73. DB::Exception: Unknown format X. (UNKNOWN_FORMAT) (version 26.7.2.1). (UNKNOWN_FORMAT)',
      73,
    )
    expect({ code: e.code, type: e.type, message: e.message }).toEqual({ code: 73, type: 'UNKNOWN_FORMAT', message: 'Unknown format X.' })
  })

  it('keeps the text of a plain message and reads the code from it', () => {
    const e = engineError('Code: 164. DB::Exception: default: Cannot execute query in readonly mode. (READONLY)')
    expect({ code: e.code, type: e.type, message: e.message }).toEqual({ code: 164, type: 'READONLY', message: 'default: Cannot execute query in readonly mode.' })
  })

  it('falls back to STD_EXCEPTION without a ClickHouse code', () => {
    expect(engineError('session closed')).toMatchObject({ code: 1001, type: 'STD_EXCEPTION', message: 'session closed.' })
  })
})

describe('quoting', () => {
  it('escapes backslash and quote in string literals and identifiers', () => {
    expect(sqlString("a'b\\c")).toBe("'a\\'b\\\\c'")
    expect(sqlString("\\'")).toBe("'\\\\\\''")
    expect(quoteIdentifier('we`ird\\db')).toBe('`we\\`ird\\\\db`')
  })
})

describe('HTTP protocol tables', () => {
  it('maps error codes to the statuses ClickHouse uses, 500 otherwise', () => {
    expect(httpStatusOfCode(62)).toBe(400)
    expect(httpStatusOfCode(516)).toBe(401)
    expect(httpStatusOfCode(164)).toBe(403)
    expect(httpStatusOfCode(60)).toBe(404)
    expect(httpStatusOfCode(202)).toBe(503)
    expect(httpStatusOfCode(241)).toBe(500)
  })

  it('serves formats with their content types', () => {
    expect(contentTypeOf('TabSeparatedWithNames')).toMatch(/^text\/tab-separated-values/)
    expect(contentTypeOf('JSONEachRow')).toMatch(/^application\/x-ndjson/)
    expect(contentTypeOf('JSONCompact')).toMatch(/^application\/json/)
    expect(contentTypeOf('Native')).toBe('application/octet-stream')
    expect(contentTypeOf('Pretty')).toMatch(/^text\/plain/)
  })

  it('keeps transport parameters away from the engine settings', () => {
    expect(isTransportParam('wait_end_of_query')).toBe(true)
    expect(isTransportParam('session_id')).toBe(true)
    expect(isTransportParam('max_threads')).toBe(false)
  })
})

describe('endpoint settings', () => {
  it('turns the limits into settings with throwing overflow modes', () => {
    const set = limitSettings({ maxExecutionSeconds: 60, maxMemoryBytes: 1024, maxResultBytes: 2048, maxThreads: 0 })
    expect(set).toEqual(expect.arrayContaining(['max_execution_time = 60', "timeout_overflow_mode = 'throw'", 'max_memory_usage = 1024', 'max_result_bytes = 2048', "result_overflow_mode = 'throw'", 'max_threads = 1']))
  })

  it('filters every Runway table by namespace, quoting the names', () => {
    const f = namespaceFilters(["al'pha"])
    expect(f).toContain("'default.experiments': 'namespace IN (\\'al\\\\\\'pha\\')'")
    expect(f).toContain("'default.events': 'experiment_id IN (SELECT id FROM default.experiments WHERE namespace IN (")
    expect(namespaceFilters([])).toContain("'default.events': '0'")
  })

  it('accepts allow-listed client settings only', () => {
    expect(clientSettings({ session_timezone: 'UTC', readonly: '1' })).toEqual(["session_timezone = 'UTC'"])
    expect(() => clientSettings({ max_memory_usage: '0' })).toThrow(/Cannot modify 'max_memory_usage'/)
    expect(() => clientSettings({ insert_deduplication_token: 'x' })).toThrow()
    expect(clientSettings({ insert_deduplication_token: 'x' }, true)).toEqual(["insert_deduplication_token = 'x'"])
  })

  it('checks tables: aliases pass only when no such table exists', async () => {
    const none = async () => new Set<string>()
    const ref = (table: string, database: string | null = null) => ({ database, table, mayBeAlias: database === null })
    await expect(checkTables({ tables: [ref('events')], insertInto: null, ddlTargets: [] }, 'default', none)).resolves.toBeUndefined()
    await expect(checkTables({ tables: [ref('my_cte')], insertInto: null, ddlTargets: [] }, 'default', none)).resolves.toBeUndefined()
    await expect(checkTables({ tables: [ref('api_tokens')], insertInto: null, ddlTargets: [] }, 'default', async () => new Set(['default.api_tokens']))).rejects.toMatchObject({ code: 497 })
    await expect(checkTables({ tables: [ref('api_tokens', 'default')], insertInto: null, ddlTargets: [] }, 'default', none)).rejects.toMatchObject({ code: 497 })
    await expect(checkTables({ tables: [], insertInto: null, ddlTargets: [] }, 'secret', none)).rejects.toMatchObject({ code: 497 })
    await expect(checkTables({ tables: [ref('api_tokens', 'default')], insertInto: null, ddlTargets: [] }, 'default', none, true)).resolves.toBeUndefined()
  })

  it('checks output and INSERT formats', () => {
    expect(() => checkFormat(statementShape('SELECT 1 FORMAT Template'), 'SELECT 1 FORMAT Template', 'TSV')).toThrow(/Template/)
    expect(() => checkFormat(statementShape('SELECT 1'), 'SELECT 1', 'CustomSeparated')).toThrow(/CustomSeparated/)
    expect(() => checkFormat(statementShape('INSERT INTO t FORMAT CapnProto'), 'INSERT INTO t FORMAT CapnProto', 'TSV')).toThrow(/CapnProto/)
    expect(() => checkFormat(statementShape('SELECT 1 FORMAT JSON'), 'SELECT 1 FORMAT JSON', 'TSV')).not.toThrow()
  })
})
