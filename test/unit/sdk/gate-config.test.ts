import { describe, expect, it } from 'vitest'
import { buildGateConfig, changedExperiments, changesGateConfig, checkGateConfig, gateChecksum } from '../../../src/domain/gate-config.js'
import { LifecycleState } from '../../../src/domain/lifecycle.js'
import { record } from './fixtures.js'

const T = 1_700_000_000_000

describe('buildGateConfig', () => {
  const records = [
    record({ id: 'a-run', namespace: 'acme', state: 'running', step: 1, ledgerSeq: 4 }),
    record({ id: 'b-paused', namespace: 'acme', state: 'paused', ledgerSeq: 5 }),
    record({ id: 'c-queued', namespace: 'acme', state: 'queued', allocation: null, ledgerSeq: 2 }),
    record({ id: 'd-other', namespace: 'globex', state: 'running', ledgerSeq: 3 }),
  ]

  it('holds one tenant (namespace), the states a service must know, exposure resolved', () => {
    const c = buildGateConfig({ records, tenant: 'acme', now: T })
    expect(c.experiments.map((e) => [e.id, e.state, e.exposure])).toEqual([
      ['a-run', 'running', 100],
      ['b-paused', 'paused', 0],
    ])
    expect(c.version).toBe(4 + 5 + 2) // every record of the tenant counts, published or not
    expect(checkGateConfig(c, 'acme').ok).toBe(true)
    expect(buildGateConfig({ records, tenant: null, now: T }).experiments).toHaveLength(3)
  })

  it('is deterministic: same state, same version and checksum whenever it is built', () => {
    const a = buildGateConfig({ records, tenant: null, now: T })
    const b = buildGateConfig({ records: [...records].reverse(), tenant: null, now: T + 5_000 })
    expect([b.version, b.checksum]).toEqual([a.version, a.checksum])
  })

  it('versions grow with transitions', () => {
    const before = buildGateConfig({ records, tenant: 'acme', now: T })
    const paused = records.map((r) => (r.spec.id === 'a-run' ? { ...r, state: 'paused' as const, ledgerSeq: r.ledgerSeq + 1 } : r))
    const after = buildGateConfig({ records: paused, tenant: 'acme', now: T })
    expect(after.version).toBeGreaterThan(before.version)
    expect(changedExperiments(before, after)).toEqual(['a-run'])
    expect(changedExperiments(after, { ...after, experiments: after.experiments.slice(1) })).toEqual(['a-run'])
  })
})

describe('checkGateConfig refuses what an SDK must not serve', () => {
  const good = buildGateConfig({ records: [record({ id: 'x', namespace: 'acme' })], tenant: 'acme', now: T })
  const cases: Array<[string, unknown]> = [
    ['not an object', 'garbage'],
    ['truncated JSON text', JSON.stringify(good).slice(0, 40)],
    ['experiments missing (partial)', { ...good, experiments: undefined }],
    ['a variant missing its weight', { ...good, experiments: [{ ...good.experiments[0]!, variants: [{ name: 'control' }, { name: 'treatment', weight: 50 }] }] }],
    ['exposure above 100', { ...good, experiments: [{ ...good.experiments[0]!, exposure: 150 }] }],
    ['content changed after the checksum (a weight)', { ...good, experiments: [{ ...good.experiments[0]!, variants: [{ name: 'control', weight: 10 }, { name: 'treatment', weight: 90 }] }] }],
    ['an experiment dropped from the list', { ...good, experiments: [] }],
    ['a negative version', { ...good, version: -1, checksum: gateChecksum({ ...good, version: -1 }) }],
  ]
  it.each(cases)('%s', (_, raw) => {
    expect(checkGateConfig(raw, 'acme').ok).toBe(false)
  })

  it("another tenant's config, or one with another tenant's experiment", () => {
    expect(checkGateConfig(good, 'globex').ok).toBe(false)
    const all = buildGateConfig({ records: [record({ id: 'x', namespace: 'acme' })], tenant: null, now: T })
    expect(checkGateConfig(all, 'acme').ok).toBe(false)
    const smuggled = { ...good, experiments: [{ ...good.experiments[0]!, namespace: 'globex' }] }
    expect(checkGateConfig({ ...smuggled, checksum: gateChecksum(smuggled) }, 'acme').ok).toBe(false)
  })

  it('accepts the good one (and survives a JSON round trip)', () => {
    expect(checkGateConfig(JSON.parse(JSON.stringify(good)), 'acme').ok).toBe(true)
  })
})

describe('changesGateConfig', () => {
  it('is false exactly for transitions between states a config never lists', () => {
    const listed = (state: string) => buildGateConfig({ records: [record({ state: state as LifecycleState })], tenant: null, now: 0 }).experiments.length > 0
    for (const from of [null, ...LifecycleState.options]) {
      for (const to of LifecycleState.options) {
        const expected = listed(to) || (from !== null && listed(from))
        expect(changesGateConfig({ from, to }), `${from} → ${to}`).toBe(expected)
      }
    }
    expect(changesGateConfig({ from: null, to: 'queued' })).toBe(false)
    expect(changesGateConfig({ from: 'running', to: 'paused' })).toBe(true)
  })
})
