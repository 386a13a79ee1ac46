import { rowText, withRowText } from './row-text.js'

/**
 * Where a batch's own deduplication token is written beside its rows (sql/migrations/0026):
 * `column` on the first row object, `inputKey` on the first line of its events_in text.
 */
export interface TokenColumn {
  column: string
  inputKey: string
}

/**
 * The rows with the batch's token on the first one, as row and as text. A copy: the caller's
 * rows stay as they are. Tokens are checked plain characters (checkDedupToken), so they go into
 * the JSON line without escaping; every events_in line starts with '{'.
 */
export function withBatchToken(rows: ReadonlyArray<Record<string, unknown>>, token: string, at: TokenColumn): ReadonlyArray<Record<string, unknown>> {
  const out = rows.slice()
  out[0] = { ...rows[0], [at.column]: token }
  const text = rowText(rows)
  if (text === undefined || !text.ndjson.startsWith('{')) return out
  return withRowText(out, { into: text.into, ndjson: `{"${at.inputKey}":"${token}",${text.ndjson.slice(1)}` })
}
