import { randomBytes } from 'node:crypto'

type Select = (name: string, params: Record<string, unknown>) => Promise<unknown[]>

/**
 * The cycle's touched events (issue 16 item 3): every event received up to the cycle's watermark of
 * each unit id with an event received since the oldest held watermark, in a Memory table of this
 * reader's own (sql/queries/eval-touched-*.sql). Found once per cycle and read by every held pass:
 * each pass used to scan every row's keys to find its touched units and then again for their events
 * (eight scans of events per cycle at 100M; bench/README.md "second pass"). Dropped after the cycle.
 */
export class TouchedTable {
  /** Random per reader: two processes on one server do not share it. Only [a-z0-9_]: an identifier as it is. */
  readonly name = `runway_eval_touched_${randomBytes(8).toString('hex')}`
  private filled: { from: number; to: number } | undefined

  /** Fills the table for the window (from, to] once per cycle; returns its name for the passes' {touched:Identifier}. */
  async fill(from: number, to: number, select: Select): Promise<string> {
    if (this.filled) {
      if (this.filled.from > from || this.filled.to !== to) throw new Error('touched table filled for another window in this cycle')
      return this.name
    }
    await select('eval-touched-drop', { touched: this.name })
    await select('eval-touched-create', { touched: this.name })
    await select('eval-touched-fill', { touched: this.name, from_ms: from, to_ms: to })
    this.filled = { from, to }
    return this.name
  }

  /** After the cycle: the rows are of no use to the next one (it reads its own window). */
  async drop(select: Select): Promise<void> {
    if (!this.filled) return
    this.filled = undefined
    await select('eval-touched-drop', { touched: this.name })
  }
}
