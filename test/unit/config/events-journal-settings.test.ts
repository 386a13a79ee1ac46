import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../../src/config.js'
import { RunwayError } from '../../../src/errors.js'

/** The events journal settings (opt-in switch, flush window, bound on rows waiting), parsed once in config.ts. */
describe('events journal settings', () => {
  it('defaults: off, 50 ms flush window, 200,000 rows waiting at most', () => {
    expect(loadConfig({}).eventsJournal).toEqual({ enabled: false, flushMs: 50, maxPendingRows: 200_000 })
  })

  it('reads the switch, the window as a duration and the bound', () => {
    const c = loadConfig({ RUNWAY_EVENTS_JOURNAL: 'on', RUNWAY_EVENTS_FLUSH: '100ms', RUNWAY_EVENTS_JOURNAL_MAX_ROWS: '5000' })
    expect(c.eventsJournal).toEqual({ enabled: true, flushMs: 100, maxPendingRows: 5000 })
  })

  it.each([
    [{ RUNWAY_EVENTS_FLUSH: '0ms' }, 'RUNWAY_EVENTS_FLUSH'],
    [{ RUNWAY_EVENTS_FLUSH: '2m' }, 'RUNWAY_EVENTS_FLUSH'],
    [{ RUNWAY_EVENTS_JOURNAL: 'maybe' }, 'RUNWAY_EVENTS_JOURNAL'],
    [{ RUNWAY_EVENTS_JOURNAL_MAX_ROWS: '0' }, 'RUNWAY_EVENTS_JOURNAL_MAX_ROWS'],
  ])('refuses %o, naming the variable', (env, name) => {
    let error: unknown
    try {
      loadConfig(env)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(RunwayError)
    expect(JSON.stringify((error as RunwayError).details)).toContain(name)
  })
})
