import { describe, expect, it } from 'vitest'
import { checkStatement, parseAstText, quotedNameWithLineBreak } from '../../../src/domain/sql-allow-check.js'
import { functionAllowed, functionCatalog } from '../../../src/domain/sql-allow-functions.js'
import { classifyTable, clientSettingAllowed, formatAllowed } from '../../../src/domain/sql-allow-list.js'
import { createSettings } from '../../../src/domain/sql-allow-write.js'

// A slice of ClickHouse 26.7's system.functions, as the adapter reads it.
const catalog = functionCatalog([
  { name: 'sum', category: 'Aggregate Functions', aliasTo: '', isAggregate: true, caseInsensitive: true },
  { name: 'uniq', category: 'Aggregate Functions', aliasTo: '', isAggregate: true, caseInsensitive: false },
  { name: 'plus', category: 'Arithmetic', aliasTo: '', isAggregate: false, caseInsensitive: false },
  { name: 'lower', category: 'String', aliasTo: '', isAggregate: false, caseInsensitive: true },
  { name: 'lcase', category: '', aliasTo: 'lower', isAggregate: false, caseInsensitive: true },
  { name: 'file', category: 'Other', aliasTo: '', isAggregate: false, caseInsensitive: false },
  { name: 'hostName', category: 'Other', aliasTo: '', isAggregate: false, caseInsensitive: false },
  { name: 'hostname', category: '', aliasTo: 'hostName', isAggregate: false, caseInsensitive: false },
  { name: 'dictGet', category: 'Dictionary', aliasTo: '', isAggregate: false, caseInsensitive: false },
  { name: 'aiGenerate', category: 'AI', aliasTo: '', isAggregate: false, caseInsensitive: false },
  { name: 'version', category: 'Other', aliasTo: '', isAggregate: false, caseInsensitive: false },
])

describe('function allow-list', () => {
  it.each([
    ['plus', true],
    ['SUM', true], // case-insensitive in the engine
    ['PLUS', false], // case-sensitive there: a different (unknown) name
    ['lcase', true], // alias of an allowed function
    ['sumIf', true],
    ['uniqStateIf', true],
    ['plusIf', false], // a combinator needs an aggregate
    ['file', false],
    ['hostname', false], // alias of a refused one
    ['dictGet', false],
    ['aiGenerate', false],
    ['version', true],
    ['nosuchfunction', false],
  ])('%s → %s', (name, allowed) => {
    expect(functionAllowed(catalog, name)).toBe(allowed)
  })
})

const read = (ast: string, normalized = 'SELECT …') => checkStatement({ ast, normalized, kind: normalized.split(' ')[0]!, catalog, writable: false })

describe('checkStatement over EXPLAIN AST text', () => {
  const select = (inner: string) => `SelectWithUnionQuery (children 1)\n ExpressionList (children 1)\n  SelectQuery (children 2)\n${inner}`

  it('collects tables, including `x IN t`, and tells table functions from scalars', () => {
    const ast = select(
      '   ExpressionList (children 1)\n    Function in (children 1)\n     ExpressionList (children 2)\n      Identifier x\n      Identifier default.api_tokens\n' +
        '   TablesInSelectQuery (children 1)\n    TablesInSelectQueryElement (children 1)\n     TableExpression (children 1)\n      TableIdentifier events (alias e)\n',
    )
    const r = read(ast)
    expect(r).toMatchObject({ ok: true, tables: [{ database: 'default', table: 'api_tokens' }, { database: null, table: 'events', mayBeAlias: true }] })
    const tf = select('   TablesInSelectQuery (children 1)\n    TablesInSelectQueryElement (children 1)\n     TableExpression (children 1)\n      Function numbers (children 1)\n       ExpressionList (children 1)\n        Literal UInt64_3\n')
    expect(read(tf).ok).toBe(true)
    expect(read(tf.replace('Function numbers', 'Function file'))).toMatchObject({ ok: false, code: 'ACCESS_DENIED' })
    // numbers() as a scalar is not a function at all.
    expect(read(select('   ExpressionList (children 1)\n    Function numbers (children 1)\n     ExpressionList\n'))).toMatchObject({ ok: false })
  })

  it('refuses SETTINGS, unknown nodes, several roots and non-read statements', () => {
    expect(read(select('   ExpressionList (children 1)\n    Literal UInt64_1\n   Set\n'))).toMatchObject({ ok: false, code: 'READONLY' })
    expect(read(select('   ExpressionList (children 1)\n    SomeNewClause\n'))).toMatchObject({ ok: false, code: 'ACCESS_DENIED' })
    expect(read('ShowTables\nShowTables\n', 'SHOW TABLES')).toMatchObject({ ok: false })
    expect(read('ShowTables\n', 'SHOW TABLES')).toMatchObject({ ok: true })
    expect(read('ShowTables\n', "SHOW SETTINGS LIKE '%'")).toMatchObject({ ok: false, code: 'ACCESS_DENIED' })
    expect(read('InsertQuery   (children 1)\n Identifier events\n', 'INSERT INTO events')).toMatchObject({ ok: false, code: 'READONLY' })
    expect(read('Set\n', 'SET x = 1')).toMatchObject({ ok: false, code: 'READONLY' })
  })

  it('refuses names with line breaks, which would forge lines of the tree', () => {
    expect(quotedNameWithLineBreak('SELECT 1 AS `a\\n TableIdentifier x`')).toBe(true)
    expect(quotedNameWithLineBreak('SELECT "a\\rb"')).toBe(true)
    expect(quotedNameWithLineBreak("SELECT 'a\\nb' AS s")).toBe(false) // literals are escaped in the tree
    expect(quotedNameWithLineBreak('SELECT `plain name`')).toBe(false)
  })

  it('reads qualified DDL targets from their two Identifier nodes', () => {
    const ddl = (ast: string, normalized: string) => checkStatement({ ast, normalized, kind: normalized.split(' ')[0]!, catalog, writable: true })
    expect(ddl('DropQuery system w (children 2)\n Identifier system\n Identifier w\n', 'DROP TABLE system.w')).toMatchObject({ ok: true, ddlTargets: [{ database: 'system', table: 'w' }] })
    expect(ddl('Rename (children 3)\n Identifier a\n Identifier system\n Identifier b\n', 'RENAME TABLE a TO system.b')).toMatchObject({ ok: false })
    expect(ddl('CreateQuery d (children 2)\n Identifier d\n Storage definition (children 1)\n  Function MySQL\n', 'CREATE DATABASE d ENGINE = MySQL')).toMatchObject({ ok: false })
    expect(ddl('CreateQuery t (children 2)\n Identifier t\n Storage definition (children 1)\n  Function File\n', 'CREATE TABLE t ENGINE = File')).toMatchObject({ ok: false })
    expect(ddl('CreateQuery t (children 2)\n Identifier t\n Storage definition (children 1)\n  Function MergeTree\n', 'CREATE TABLE t ENGINE = MergeTree')).toMatchObject({ ok: true })
  })

  it('parses the indented tree', () => {
    const [root] = parseAstText('A (children 1)\n B x (alias y) (children 1)\n  C\n')
    expect(root).toEqual({ kind: 'A', detail: '', children: [{ kind: 'B', detail: 'x (alias y)', children: [{ kind: 'C', detail: '', children: [] }] }] })
  })
})

describe('the other allow-lists', () => {
  it('tables', () => {
    expect(classifyTable('default', 'events').kind).toBe('runway')
    expect(classifyTable('default', 'api_tokens').kind).toBe('refused')
    expect(classifyTable('default', 'some_future_table').kind).toBe('refused')
    expect(classifyTable('system', 'tables').kind).toBe('metadata')
    expect(classifyTable('system', 'processes').kind).toBe('refused')
    expect(classifyTable('INFORMATION_SCHEMA', 'COLUMNS').kind).toBe('metadata')
  })

  it('formats and settings', () => {
    expect(formatAllowed('jsoneachrow')).toBe(true)
    expect(formatAllowed('Template')).toBe(false)
    expect(formatAllowed('Protobuf')).toBe(false)
    expect(clientSettingAllowed('session_timezone', 'Europe/Berlin')).toBe(true)
    expect(clientSettingAllowed('session_timezone', '../etc')).toBe(false)
    expect(clientSettingAllowed('max_execution_time', '1')).toBe(false)
    expect(clientSettingAllowed('format_template_resultset', 'x')).toBe(false)
  })

  it("reads a CREATE's table settings, refusing values that are not plain", () => {
    expect(createSettings('CREATE TABLE t (x UInt8) ENGINE = MergeTree ORDER BY x SETTINGS non_replicated_deduplication_window = 1000, index_granularity = 8192')).toEqual([
      'non_replicated_deduplication_window',
      'index_granularity',
    ])
    expect(createSettings('CREATE TABLE t (x UInt8) ENGINE = MergeTree ORDER BY x SETTINGS disk = disk(type = local, path = _)')).toBeNull()
    expect(createSettings('CREATE TABLE t (x UInt8) ENGINE = Memory')).toEqual([])
  })
})
