import { type FunctionCatalog, functionAllowed, TABLE_FUNCTIONS } from './sql-allow-functions.js'
import { ALTER_COMMANDS, CREATE_ANALYTICS_DATABASE, createSettings, ddlAllowed, TABLE_ENGINES, TABLE_SETTINGS, WRITE_NODES } from './sql-allow-write.js'

/**
 * Checks one statement against the endpoint's allow-lists, reading the
 * engine's own parse of it (`EXPLAIN AST`, run with the query parameters
 * already set, so `{t:Identifier}` shows the table it names). `EXPLAIN AST`
 * only parses: nothing is resolved, read or evaluated, so the check runs
 * before the engine sees anything it could act on. Pure.
 */

/** A table the statement reads (or, for INSERT, writes); `database` is null when unqualified. */
export interface TableRef {
  database: string | null
  table: string
  /** Unqualified names in a SELECT may be a WITH alias rather than a table. */
  mayBeAlias: boolean
}

export type AllowCheck =
  | { ok: true; tables: TableRef[]; insertInto: TableRef | null; ddlTargets: TableRef[] }
  | { ok: false; code: 'ACCESS_DENIED' | 'READONLY' | 'NOT_IMPLEMENTED'; message: string }

interface AstNode {
  kind: string
  /** What follows the kind on its line, without `(children N)`. */
  detail: string
  children: AstNode[]
}

/** AST nodes a read query may contain. Anything else (a new clause, a dictionary DDL…) is refused. */
const QUERY_NODES: ReadonlySet<string> = new Set([
  'SelectWithUnionQuery',
  'SelectIntersectExceptQuery',
  'SelectQuery',
  'ExpressionList',
  'Function',
  'Identifier',
  'Literal',
  'Asterisk',
  'QualifiedAsterisk',
  'ColumnsRegexpMatcher',
  'ColumnsListMatcher',
  'QualifiedColumnsRegexpMatcher',
  'QualifiedColumnsListMatcher',
  'ColumnsApplyTransformer',
  'ColumnsExceptTransformer',
  'ColumnsReplaceTransformer',
  'ColumnsReplaceTransformer::Replacement',
  'TablesInSelectQuery',
  'TablesInSelectQueryElement',
  'TableExpression',
  'TableIdentifier',
  'TableJoin',
  'ArrayJoin',
  'Subquery',
  'WithElement',
  'OrderByElement',
  'WindowDefinition',
  'WindowListElement',
  'SampleRatio',
  'InterpolateElement',
  'Interpolate',
])

const EXPLAIN_KINDS: ReadonlySet<string> = new Set(['EXPLAIN', 'EXPLAIN AST', 'EXPLAIN SYNTAX', 'EXPLAIN PLAN', 'EXPLAIN PIPELINE', 'EXPLAIN ESTIMATE', 'EXPLAIN QUERY TREE'])

const IN_FUNCTIONS: ReadonlySet<string> = new Set(['in', 'notIn', 'globalIn', 'globalNotIn', 'nullIn', 'notNullIn', 'globalNullIn', 'globalNotNullIn'])

/** `EXPLAIN AST` text → tree (one node per line, one space of indent per level). */
export function parseAstText(text: string): AstNode[] {
  const roots: AstNode[] = []
  const stack: Array<{ depth: number; node: AstNode }> = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    const depth = line.length - line.trimStart().length
    const body = line.trim().replace(/\s*\(children \d+\)$/, '')
    const space = body.indexOf(' ')
    const node: AstNode = { kind: space < 0 ? body : body.slice(0, space), detail: space < 0 ? '' : body.slice(space + 1).trim(), children: [] }
    while (stack.length > 0 && stack[stack.length - 1]!.depth >= depth) stack.pop()
    const parent = stack[stack.length - 1]
    if (parent) parent.node.children.push(node)
    else roots.push(node)
    stack.push({ depth, node })
  }
  return roots
}

/** A `…` or "…" name in the engine's rendering (which escapes control characters) that holds a line break or other control character. */
export function quotedNameWithLineBreak(normalized: string): boolean {
  let i = 0
  while (i < normalized.length) {
    const c = normalized[i] as string
    if (c !== "'" && c !== '"' && c !== '`') {
      i++
      continue
    }
    let j = i + 1
    let token = ''
    while (j < normalized.length) {
      const d = normalized[j] as string
      if (d === '\\') {
        token += d + (normalized[j + 1] ?? '')
        j += 2
      } else if (d === c && normalized[j + 1] === c) {
        token += d
        j += 2
      } else if (d === c) break
      else {
        token += d
        j++
      }
    }
    if (c !== "'" && /\\[nrx0fvb]|[\x00-\x1f]/.test(token)) return true
    i = j + 1
  }
  return false
}

class Refusal extends Error {
  constructor(
    readonly code: 'ACCESS_DENIED' | 'READONLY' | 'NOT_IMPLEMENTED',
    message: string,
  ) {
    super(message)
  }
}

/** `default.events (alias e)` → { database: 'default', table: 'events' }. */
function tableName(detail: string, mayBeAlias: boolean): TableRef {
  const name = detail.replace(/\s*\(alias [^)]*\)$/, '')
  // Names Runway's allow-lists hold are plain; anything stranger cannot be on them.
  if (!/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)?$/.test(name)) throw new Refusal('ACCESS_DENIED', `Table ${JSON.stringify(name)} is not readable through this endpoint`)
  const dot = name.indexOf('.')
  return dot < 0 ? { database: null, table: name, mayBeAlias } : { database: name.slice(0, dot), table: name.slice(dot + 1), mayBeAlias: false }
}

/**
 * The table a statement names as direct `Identifier` children: `t` or
 * `db`, `t` (DDL, INSERT and SHOW CREATE print the two parts as two nodes).
 */
function rootTable(root: AstNode): TableRef {
  const ids = root.children.filter((c) => c.kind === 'Identifier').map((c) => c.detail)
  if (ids.length === 1) return tableName(ids[0]!, false)
  if (ids.length === 2 && !ids[0]!.includes('.') && !ids[1]!.includes('.')) return tableName(`${ids[0]}.${ids[1]}`, false)
  throw new Refusal('ACCESS_DENIED', `${root.kind} must name one table`)
}

function functionName(node: AstNode): string {
  return node.detail.replace(/\s*\(alias [^)]*\)$/, '').split(' ')[0] ?? ''
}

interface Walk {
  catalog: FunctionCatalog
  tables: TableRef[]
  /** DDL nodes allowed (the writable endpoint). */
  writable: boolean
}

function walk(node: AstNode, parent: AstNode | null, w: Walk): void {
  const { catalog, tables } = w
  if (node.kind === 'Set') {
    // A CREATE's table settings: their names are checked on the rendered text (the AST does not print them).
    if (w.writable && parent?.kind === 'Storage') return
    throw new Refusal('READONLY', 'Cannot modify settings inside the query (SETTINGS or SET) on this endpoint; send allow-listed settings as URL parameters')
  }
  if (!QUERY_NODES.has(node.kind) && !(w.writable && WRITE_NODES.has(node.kind))) throw new Refusal('ACCESS_DENIED', `${node.kind} is not allowed in a query on this endpoint`)
  if (node.kind === 'AlterCommand' && !ALTER_COMMANDS.has(node.detail)) throw new Refusal('ACCESS_DENIED', `ALTER ${node.detail.replace(/_/g, ' ')} is not allowed on this endpoint`)
  if (node.kind === 'Function') {
    const name = functionName(node)
    // ENGINE = X(…) comes first in the storage definition; PARTITION BY, ORDER BY… expressions follow.
    if (parent?.kind === 'Storage' && parent.children[0] === node) {
      if (!TABLE_ENGINES.has(name)) throw new Refusal('ACCESS_DENIED', `Engine ${name} is not allowed on this endpoint (allowed: ${[...TABLE_ENGINES].join(', ')})`)
    } else if (parent?.kind === 'CreateQuery') {
      throw new Refusal('ACCESS_DENIED', `CREATE TABLE … AS ${name}() is not allowed on this endpoint`)
    } else if (parent?.kind === 'TableExpression') {
      if (!TABLE_FUNCTIONS.has(name)) throw new Refusal('ACCESS_DENIED', `Table function ${name}() is not allowed on this endpoint (allowed: ${[...TABLE_FUNCTIONS].join(', ')})`)
    } else if (!functionAllowed(catalog, name)) {
      throw new Refusal('ACCESS_DENIED', `Function ${name}() is not allowed on this endpoint: it is not on the allow-list of functions that only compute over their arguments`)
    }
    // `x IN t` reads table t.
    const args = node.children[0]
    const set = args?.children[1]
    if (IN_FUNCTIONS.has(name) && set?.kind === 'Identifier') tables.push(tableName(set.detail, true))
  }
  if (node.kind === 'TableIdentifier') tables.push(tableName(node.detail, true))
  for (const child of node.children) walk(child, node, w)
}

const DDL_ROOTS: ReadonlySet<string> = new Set(['CreateQuery', 'DropQuery', 'TruncateQuery', 'AlterQuery', 'OptimizeQuery', 'Rename'])

/** Replaces quoted text by `_`, so clause keywords and commas inside literals do not count. */
function blank(text: string): string {
  return text.replace(/'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`|"(?:[^"\\]|\\.)*"/g, '_')
}

const QUERY_ROOTS: ReadonlySet<string> = new Set(['SelectWithUnionQuery', 'SelectIntersectExceptQuery'])

/**
 * `normalized` is the engine's one-line rendering (to tell SHOW TABLES from
 * SHOW SETTINGS, which parse to the same node); `kind` its first keyword, for messages.
 */
export function checkStatement(input: { ast: string; normalized: string; kind: string; catalog: FunctionCatalog; writable: boolean }): AllowCheck {
  const tables: TableRef[] = []
  const ddlTargets: TableRef[] = []
  let insertInto: TableRef | null = null
  const w: Walk = { catalog: input.catalog, tables, writable: input.writable }
  try {
    // `EXPLAIN AST` prints identifiers and aliases raw: a line break in one would forge lines of the tree.
    if (quotedNameWithLineBreak(input.normalized)) throw new Refusal('ACCESS_DENIED', 'Identifiers and aliases with line breaks are not allowed on this endpoint')
    const roots = parseAstText(input.ast)
    if (roots.length !== 1) throw new Refusal('ACCESS_DENIED', 'Exactly one statement is allowed')
    const root = roots[0]!
    const readOnly = () => new Refusal('READONLY', `Cannot execute query in readonly mode: the endpoint only runs read queries, not ${input.kind}`)
    switch (root.kind) {
      case 'SelectWithUnionQuery':
      case 'SelectIntersectExceptQuery':
        walk(root, null, w)
        break
      case 'Explain': {
        if (!EXPLAIN_KINDS.has(root.detail)) throw new Refusal('ACCESS_DENIED', `${root.detail} is not allowed on this endpoint`)
        const [query, ...rest] = root.children
        if (!query || !QUERY_ROOTS.has(query.kind) || rest.length > 0) throw new Refusal('ACCESS_DENIED', 'EXPLAIN is allowed for a SELECT, without settings')
        walk(query, null, w)
        break
      }
      case 'DescribeQuery':
        for (const child of root.children) walk(child, null, w)
        break
      case 'ExistsTableQuery':
        break
      case 'ShowTables':
        // SHOW TABLES / DATABASES read system.tables / databases; SHOW SETTINGS, DICTIONARIES… parse to the same node.
        if (!/^SHOW (FULL )?(TABLES|DATABASES)\b/.test(input.normalized)) throw new Refusal('ACCESS_DENIED', 'Only SHOW TABLES and SHOW DATABASES are allowed on this endpoint')
        break
      case 'ShowCreateTableQuery': {
        if (!/^SHOW CREATE (TABLE )?[^ ]/.test(input.normalized) || /^SHOW CREATE (DICTIONARY|VIEW|USER|ROLE|QUOTA|ROW POLICY|SETTINGS PROFILE|DATABASE)\b/.test(input.normalized)) {
          throw new Refusal('ACCESS_DENIED', 'Only SHOW CREATE TABLE is allowed on this endpoint')
        }
        tables.push(rootTable(root))
        break
      }
      case 'InsertQuery': {
        if (!input.writable) throw readOnly()
        if (root.children[0]?.kind !== 'Identifier') throw new Refusal('ACCESS_DENIED', 'INSERT INTO FUNCTION is not allowed on this endpoint')
        insertInto = rootTable(root)
        for (const child of root.children) if (child.kind !== 'Identifier') walk(child, null, w)
        break
      }
      default: {
        if (!input.writable) throw readOnly()
        if (!DDL_ROOTS.has(root.kind) || !ddlAllowed(input.normalized)) {
          throw new Refusal('ACCESS_DENIED', `${input.kind} of this kind is not allowed on this endpoint (tables and views of Runway's database only)`)
        }
        if (CREATE_ANALYTICS_DATABASE.test(input.normalized)) break
        if (root.kind === 'CreateQuery') {
          const names = createSettings(blank(input.normalized))
          const bad = names === null ? 'a setting that is not a plain value' : names.find((n) => !TABLE_SETTINGS.has(n))
          if (bad !== undefined) throw new Refusal('ACCESS_DENIED', `Table setting ${bad} is not allowed on this endpoint`)
        }
        if (root.kind === 'Rename') {
          // RENAME a TO b [, …]: unqualified names only, so no part can be mistaken for a database.
          const ids = root.children.filter((c) => c.kind === 'Identifier')
          if (ids.length !== 2 || ids.some((c) => c.detail.includes('.'))) throw new Refusal('ACCESS_DENIED', 'RENAME takes one unqualified table name on each side on this endpoint')
          for (const id of ids) ddlTargets.push(tableName(id.detail, false))
        } else {
          ddlTargets.push(rootTable(root))
        }
        for (const child of root.children) if (child.kind !== 'Identifier') walk(child, root, w)
      }
    }
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, code: error.code, message: error.message }
    throw error
  }
  return { ok: true, tables, insertInto, ddlTargets }
}
