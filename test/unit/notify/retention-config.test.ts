import { describe, expect, it } from 'vitest'
import { ENV_VARS, loadConfig } from '../../../src/config.js'

describe('RUNWAY_NOTIFY_RETENTION', () => {
  it('defaults to 7 days, parses durations and is a known variable', () => {
    expect(loadConfig({}).notify.retentionMs).toBe(7 * 86_400_000)
    expect(loadConfig({ RUNWAY_NOTIFY_RETENTION: '36h' }).notify.retentionMs).toBe(36 * 3_600_000)
    expect(ENV_VARS).toContain('RUNWAY_NOTIFY_RETENTION')
  })

  it('refuses less than an hour and what is not a duration, naming the variable', () => {
    for (const bad of ['30m', 'forever', '0s']) {
      let err: unknown
      try {
        loadConfig({ RUNWAY_NOTIFY_RETENTION: bad })
      } catch (e) {
        err = e
      }
      expect(JSON.stringify(err), bad).toContain('RUNWAY_NOTIFY_RETENTION')
    }
  })
})
