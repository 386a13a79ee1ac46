import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../../src/config.js'
import { ledgerKey } from '../../../src/domain/ledger-chain.js'
import { RunwayError } from '../../../src/errors.js'

/** The ledger settings (journal, flush window, key), parsed once in config.ts. */
describe('ledger settings', () => {
  it('defaults: journal on, 250 ms flush window, no key', () => {
    expect(loadConfig({})).toMatchObject({ ledgerJournal: { enabled: true, flushMs: 250 }, ledgerKey: null })
  })

  it('reads the journal switch, the window as a duration, and the key', () => {
    const secret = 'x'.repeat(32)
    const c = loadConfig({ RUNWAY_LEDGER_JOURNAL: 'off', RUNWAY_LEDGER_FLUSH: '2s', RUNWAY_LEDGER_KEY: secret })
    expect(c.ledgerJournal).toEqual({ enabled: false, flushMs: 2000 })
    expect(c.ledgerKey).toEqual(ledgerKey(secret))
  })

  it.each([
    [{ RUNWAY_LEDGER_KEY: 'short' }, 'RUNWAY_LEDGER_KEY'],
    [{ RUNWAY_LEDGER_FLUSH: '0ms' }, 'RUNWAY_LEDGER_FLUSH'],
    [{ RUNWAY_LEDGER_FLUSH: 'soon' }, 'RUNWAY_LEDGER_FLUSH'],
    [{ RUNWAY_LEDGER_JOURNAL: 'maybe' }, 'RUNWAY_LEDGER_JOURNAL'],
  ])('refuses %o, naming the variable', (env, name) => {
    const error = (() => {
      try {
        loadConfig(env)
      } catch (e) {
        return e
      }
      return null
    })()
    expect(error).toBeInstanceOf(RunwayError)
    expect(JSON.stringify((error as RunwayError).details)).toContain(name)
  })
})
