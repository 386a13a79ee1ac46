/**
 * Rows that come with their JSONEachRow text already written (issue 16): ingest
 * hands the engine an accepted event's line as it came, into `events_in`, whose
 * view writes the events row (sql/migrations/0023_events_in.sql), so nothing
 * serializes the same rows again. The text is kept beside the array, not on it,
 * so whoever reads the rows (a test's fake warehouse, a server warehouse that
 * writes rows) sees plain row objects; a new array (filtered, joined) has no
 * text and is written from its rows as before.
 */
export interface RowText {
  /** The table the text is for: the rows' own table, or the input table whose view writes them. */
  into: 'events_in'
  /** One JSON line per row, '\n' after each, holding exactly the rows' values: the writer vouches for it. */
  ndjson: string
}

const texts = new WeakMap<ReadonlyArray<unknown>, RowText>()

export function withRowText<T extends ReadonlyArray<unknown>>(rows: T, text: RowText): T {
  texts.set(rows, text)
  return rows
}

export function rowText(rows: ReadonlyArray<unknown>): RowText | undefined {
  return texts.get(rows)
}
