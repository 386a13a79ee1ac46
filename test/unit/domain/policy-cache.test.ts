import { describe, expect, it } from 'vitest'
import type { ExperimentRecord } from '../../../src/domain/experiment-record.js'
import type { PolicyConfig } from '../../../src/domain/policy-config.js'
import { PolicyCache } from '../../../src/domain/policy-cache.js'
import { START_KEY_COVERS, StartSnapshot, burnWindowKey, startRuleNames } from '../../../src/domain/policy-start.js'
import { type PolicyOutcome, type ServiceWindows, evaluatePolicy, ruleContext } from '../../../src/domain/policy.js'
import { rulesFor } from '../../../src/domain/policy-config.js'
import { DAY, HOUR, MINUTE, T0, recordFixture, specFixture } from '../../support/fixtures.js'
import { policyConfig } from '../../support/policy.js'

// T0 is Thursday 2026-01-01 00:00 UTC.
const queued = (over: Parameters<typeof specFixture>[0] = {}, version = 1): ExperimentRecord =>
  recordFixture({ spec: specFixture({ id: 'q', namespace: 'web', owner: 'team-a', services: ['checkout'], ...over }), state: 'queued', version })
const running = (id: string, over: Parameters<typeof specFixture>[0] = {}): ExperimentRecord =>
  recordFixture({ spec: specFixture({ id, namespace: 'web', owner: 'team-a', ...over }), state: 'running', version: 2, allocation: { start: 0, size: 100 } })

interface World {
  config: PolicyConfig
  now: number
  records: ExperimentRecord[]
  /** By service: counts in the web namespace's windows. */
  burn: Record<string, ServiceWindows>
}

const windows = (bad: number, total: number): ServiceWindows => ({ long: { bad, total }, short: { bad, total } })

function burnMap(w: World): Map<string, ServiceWindows> {
  const rules = rulesFor(w.config, 'web')
  return new Map(Object.entries(w.burn).map(([service, counts]) => [burnWindowKey(service, rules), counts]))
}

/** What the rules say without any cache: one context built from every record, as before. */
function uncached(w: World, r: ExperimentRecord): PolicyOutcome {
  const serviceWindows = Object.fromEntries(r.spec.services.filter((s) => w.burn[s] && w.config.slos[s]).map((s) => [s, w.burn[s]!]))
  return evaluatePolicy(r.spec, ruleContext({ config: w.config, spec: r.spec, phase: 'start', now: w.now, records: w.records, serviceWindows }))
}

/** One check through the cache; `computed` tells whether the rules ran. */
function cached(cache: PolicyCache, w: World, r: ExperimentRecord): { outcome: PolicyOutcome; computed: boolean } {
  const snapshot = new StartSnapshot({ config: w.config, now: w.now, records: w.records, burnWindows: burnMap(w) })
  const before = cache.misses
  const outcome = cache.outcome(r.spec.id, snapshot.key(r, cache.specToken(r), (s) => cache.intern(s)), () => snapshot.check(r))
  return { outcome, computed: cache.misses > before }
}

const base = (policy: unknown = {}): World => {
  const r = queued()
  return { config: policyConfig(policy), now: T0 + HOUR, records: [r], burn: {} }
}

/** Checks `r` in `before`, then in `after`: returns whether the second check recomputed, and both outcomes agree with the uncached rules. */
function change(before: World, after: World, r: ExperimentRecord, r2: ExperimentRecord = r) {
  const cache = new PolicyCache()
  const first = cached(cache, before, r)
  expect(first.computed).toBe(true)
  expect(first.outcome).toEqual(uncached(before, r))
  const second = cached(cache, after, r2)
  expect(second.outcome).toEqual(uncached(after, r2))
  return { first: first.outcome, second: second.outcome, recomputed: second.computed }
}

describe('start policy cache', () => {
  it('keys every rule that runs at start (a new start rule must be added to the key)', () => {
    expect(startRuleNames().sort()).toEqual([...START_KEY_COVERS].sort())
  })

  it('nothing changed: the outcome comes from the cache', () => {
    const w = base({ defaults: { quotas: { runningPerTeam: 3 } } })
    const r = w.records[0]!
    const c = change(w, { ...w, now: w.now + MINUTE }, r)
    expect(c.recomputed).toBe(false)
    expect(c.second).toBe(c.first)
  })

  it('spec: a new revision is recomputed; a rewrite of the record with the same spec is not', () => {
    // Step 1 exposes 5% of trafficShare: 2.5% of the layer at 50%, 5% at 100%.
    const r = queued({ trafficShare: 50 })
    const w = { ...base({ defaults: { maxExposure: { ab: 3 } } }), records: [r] }
    const wider = queued({ trafficShare: 100 }, 2)
    const c = change(w, { ...w, records: [wider] }, r, wider)
    expect(c.recomputed).toBe(true)
    expect(c.first.allowed).toBe(true)
    expect(c.second.failures.map((f) => f.rule)).toEqual(['max-exposure'])
    // Same spec, new version (e.g. blockedBy written): served from the cache.
    const rewritten = { ...r, version: 5, blockedBy: null }
    expect(change(w, { ...w, records: [rewritten] }, r, rewritten).recomputed).toBe(false)
    // Same version but another spec (a record removed and created again): its chain head differs.
    const recreated = queued({ trafficShare: 100 }, 1)
    expect(recreated.version).toBe(r.version)
    expect(change(w, { ...w, records: [recreated] }, r, recreated).recomputed).toBe(true)
  })

  it('time window: entering and leaving an absolute freeze recomputes; time passing inside one does not', () => {
    const w = base({ defaults: { freezes: [{ name: 'release', start: new Date(T0 + 2 * HOUR).toISOString(), end: new Date(T0 + 3 * HOUR).toISOString() }] } })
    const r = w.records[0]!
    const entering = change(w, { ...w, now: T0 + 2 * HOUR }, r)
    expect(entering.recomputed).toBe(true)
    expect(entering.second.failures.map((f) => f.rule)).toEqual(['freeze-window'])
    expect(change({ ...w, now: T0 + 2 * HOUR }, { ...w, now: T0 + 2 * HOUR + 30 * MINUTE }, r).recomputed).toBe(false)
    const leaving = change({ ...w, now: T0 + 2 * HOUR }, { ...w, now: T0 + 3 * HOUR }, r)
    expect(leaving.recomputed).toBe(true)
    expect(leaving.second.allowed).toBe(true)
  })

  it('time of day: a weekly window recomputes when the clock enters it', () => {
    const w = base({ namespaces: { web: { freezes: [{ name: 'nights', weekly: { days: ['thu'], from: '22:00', to: '06:00' } }] } } })
    const r = w.records[0]!
    const day = { ...w, now: T0 + 12 * HOUR }
    const c = change(day, { ...w, now: T0 + 23 * HOUR }, r)
    expect(c.first.allowed).toBe(true)
    expect(c.recomputed).toBe(true)
    expect(c.second.failures.map((f) => f.rule)).toEqual(['freeze-window'])
    // Friday 05:00 is still in Thursday night's window.
    expect(change({ ...w, now: T0 + 23 * HOUR }, { ...w, now: T0 + DAY + 5 * HOUR }, r).recomputed).toBe(false)
  })

  it('burn rate: new counts recompute (and refuse above the threshold); the same counts do not', () => {
    const w: World = { ...base({ slos: { checkout: { metric: 'checkout_error', objective: 0.99 } } }), burn: { checkout: windows(1, 1000) } }
    const r = w.records[0]!
    const burning = change(w, { ...w, burn: { checkout: windows(300, 1000) } }, r)
    expect(burning.first.allowed).toBe(true)
    expect(burning.recomputed).toBe(true)
    expect(burning.second.failures.map((f) => f.rule)).toEqual(['error-budget'])
    expect(change(w, { ...w, burn: { checkout: windows(1, 1000) } }, r).recomputed).toBe(false)
  })

  it('error budget: a changed threshold or SLO recomputes', () => {
    const slos = { checkout: { metric: 'checkout_error', objective: 0.99 } }
    // 1.2% bad against a 1% budget: burn rate 1.2, 95% upper bound 1.395 (scipy), under the default threshold 1.5.
    const w: World = { ...base({ slos }), burn: { checkout: windows(120, 10000) } }
    const r = w.records[0]!
    const stricter = change(w, { ...w, config: policyConfig({ slos, defaults: { errorBudget: { threshold: 1 } } }) }, r)
    expect(stricter.recomputed).toBe(true)
    expect(stricter.first.allowed).toBe(true)
    expect(stricter.second.failures.map((f) => f.rule)).toEqual(['error-budget'])
    const objective = change(w, { ...w, config: policyConfig({ slos: { checkout: { metric: 'checkout_error', objective: 0.999 } } }) }, r)
    expect(objective.recomputed).toBe(true)
    expect(objective.second.allowed).toBe(false)
  })

  it('layer capacity: a changed capacity recomputes', () => {
    const w = base({ defaults: { layers: { capacity: 80 } } })
    const r = w.records[0]!
    expect(change(w, { ...w, config: policyConfig({ defaults: { layers: { capacity: 60 } } }) }, r).recomputed).toBe(true)
    expect(change(w, { ...w, config: policyConfig({ defaults: { layers: { overrides: { [r.spec.layer]: 50 } } } }) }, r).recomputed).toBe(true)
  })

  it('quotas: one more experiment holding traffic in the team or namespace recomputes', () => {
    const w = base({ defaults: { quotas: { runningPerTeam: 1, runningPerNamespace: 5 } } })
    const r = w.records[0]!
    const team = change(w, { ...w, records: [r, running('a')] }, r)
    expect(team.recomputed).toBe(true)
    expect(team.second.failures.map((f) => f.rule)).toEqual(['quota-team'])
    const ns = change(w, { ...w, records: [r, running('b', { owner: 'team-b' })] }, r)
    expect(ns.recomputed).toBe(true)
    expect(ns.second.allowed).toBe(true)
    // Another namespace or a queued one counts for nothing.
    expect(change(w, { ...w, records: [r, running('c', { namespace: 'mobile' }), { ...running('d'), state: 'queued' }] }, r).recomputed).toBe(false)
  })

  it('quotas: without a quota, new running experiments do not recompute', () => {
    const w = base()
    const r = w.records[0]!
    expect(change(w, { ...w, records: [r, running('a'), running('b')] }, r).recomputed).toBe(false)
  })

  it('a start earlier in the same tick (hold) counts against the quota of the next check', () => {
    const w = base({ defaults: { quotas: { runningPerTeam: 1 } } })
    const a = queued({ id: 'a' })
    const b = queued({ id: 'b' })
    const snapshot = new StartSnapshot({ config: w.config, now: w.now, records: [a, b], burnWindows: new Map() })
    const cache = new PolicyCache()
    const check = (r: ExperimentRecord) => cache.outcome(r.spec.id, snapshot.key(r, cache.specToken(r), (s) => cache.intern(s)), () => snapshot.check(r))
    expect(check(b).allowed).toBe(true)
    snapshot.hold(a)
    expect(check(b).failures.map((f) => f.rule)).toEqual(['quota-team'])
    expect(check(b)).toEqual(uncached({ ...w, records: [{ ...a, state: 'scheduled' }, b] }, b))
  })

  it('retain forgets experiments that are no longer queued', () => {
    const w = base()
    const cache = new PolicyCache()
    cached(cache, w, w.records[0]!)
    expect(cache.size).toBe(1)
    cache.retain(new Set(['other']))
    expect(cache.size).toBe(0)
    expect(cached(cache, w, w.records[0]!).computed).toBe(true)
  })
})
