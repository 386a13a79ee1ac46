import { SqlError } from '../../ports/sql-endpoint.js'

/**
 * Small pure helpers for the raw SQL endpoint: quoting for the few statements
 * Runway writes itself, reading the engine's normalized rendering of a caller's
 * statement, and turning engine error text into a `SqlError`.
 */

/** A ClickHouse string literal. Backslash and quote are the only characters that can end it early. */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

/** A back-quoted identifier (database names arrive from the client). */
export function quoteIdentifier(name: string): string {
  return `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``
}

/** Setting and parameter names: plain identifiers only, since they are spliced into SET. */
export const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Output format names are single identifiers, e.g. JSONEachRow or TabSeparatedWithNames. */
export const FORMAT_NAME = /^[A-Za-z][A-Za-z0-9_]*$/

/** Statement kinds a read-only caller may run; anything else is refused before it reaches the engine. */
export const READ_KINDS: ReadonlySet<string> = new Set(['SELECT', 'WITH', 'SHOW', 'DESCRIBE', 'DESC', 'EXPLAIN', 'EXISTS'])

export interface StatementShape {
  /** First keyword of the statement (SELECT, INSERT, SHOW, …). */
  kind: string
  /** Output format named by a trailing FORMAT clause; undefined for INSERT, whose FORMAT names the input. */
  format?: string
  /** `INTO OUTFILE` / `FROM INFILE`: clickhouse-local runs these on the host's file system. */
  intoOutfile: boolean
  fromInfile: boolean
}

/**
 * Reads the shape of one statement from `formatQuerySingleLine` output. That
 * text is the engine's own rendering of its AST: comments are gone, keywords
 * are upper case and tokens are separated by single spaces, so once quoted
 * strings and quoted identifiers are blanked out, clause keywords can be read
 * as plain tokens without guessing at the caller's original spelling.
 */
export function statementShape(normalized: string): StatementShape {
  const tokens = blankQuoted(normalized).split(/\s+/).filter((t) => t.length > 0)
  const upper = tokens.map((t) => t.toUpperCase())
  const kind = upper[0] ?? ''
  const follows = (a: string, b: string) => upper.some((t, i) => t === a && upper[i + 1] === b)
  let format: string | undefined
  if (kind !== 'INSERT') {
    // FORMAT is the last clause but SETTINGS: `… FORMAT name` or `… FORMAT name SETTINGS …`.
    for (let i = upper.length - 2; i >= 0; i--) {
      const next = tokens[i + 1]
      if (upper[i] === 'FORMAT' && next !== undefined && FORMAT_NAME.test(next) && (i + 2 === upper.length || upper[i + 2] === 'SETTINGS')) {
        format = next
        break
      }
    }
  }
  return { kind, format, intoOutfile: follows('INTO', 'OUTFILE'), fromInfile: follows('FROM', 'INFILE') }
}

/** Replaces '…', "…" and `…` (with backslash or doubled-quote escapes) by a neutral token. */
function blankQuoted(text: string): string {
  let out = ''
  let i = 0
  while (i < text.length) {
    const c = text[i] as string
    if (c !== "'" && c !== '"' && c !== '`') {
      out += c
      i++
      continue
    }
    i++
    while (i < text.length) {
      const d = text[i]
      if (d === '\\') i += 2
      else if (d === c && text[i + 1] === c) i += 2
      else if (d === c) break
      else i++
    }
    i++
    out += ' _ '
  }
  return out
}

const CODE = /^Code: (\d+)\. /
const DB_PREFIX = /^(?:Code: \d+\. )?DB::Exception: /
const TYPE_SUFFIX = /\s*\(([A-Z][A-Z0-9_]+)\)(?: \(version [^)]*\))?\.?\s*$/

/**
 * Turns an engine message such as
 * `Code: 73. DB::Exception: Code: 73. DB::Exception: Unknown format X. (UNKNOWN_FORMAT) (version 26.7.2.1). (UNKNOWN_FORMAT)`
 * into code 73, type UNKNOWN_FORMAT and message `Unknown format X.`: the
 * engine nests one exception in another, a server prints it once.
 */
export function engineError(message: string, code?: number): SqlError {
  const parsedCode = code ?? Number(CODE.exec(message)?.[1] ?? NaN)
  let text = message.trim()
  let type: string | undefined
  for (let guard = 0; guard < 5; guard++) {
    const before = text
    text = text.replace(DB_PREFIX, '')
    const m = TYPE_SUFFIX.exec(text)
    if (m) {
      type ??= m[1]
      text = text.slice(0, m.index).trimEnd()
    }
    if (text === before) break
  }
  if (!text.endsWith('.')) text += '.'
  if (Number.isFinite(parsedCode)) return new SqlError(parsedCode, type ?? 'UNKNOWN_EXCEPTION', text)
  // No ClickHouse code at all (a binding-level failure): ClickHouse's catch-all for C++ exceptions.
  return new SqlError(1001, 'STD_EXCEPTION', text)
}
