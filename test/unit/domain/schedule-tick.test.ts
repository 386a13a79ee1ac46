import { describe, expect, it } from 'vitest'
import type { ExperimentRecord } from '../../../src/domain/experiment-record.js'
import type { PolicyConfig } from '../../../src/domain/policy-config.js'
import { PolicyCache } from '../../../src/domain/policy-cache.js'
import { StartSnapshot, burnWindowKey, burnWindowsNeeded } from '../../../src/domain/policy-start.js'
import { type ServiceWindows, evaluatePolicy, ruleContext } from '../../../src/domain/policy.js'
import { rulesFor } from '../../../src/domain/policy-config.js'
import { type StartCheck, type TickPlan, planTickSteps } from '../../../src/domain/schedule-tick.js'
import { runSteps } from '../../../src/domain/schedule.js'
import { createRng } from '../../../src/stats/random.js'
import { HOUR, MINUTE, T0, recordFixture, specFixture } from '../../support/fixtures.js'
import { policyConfig } from '../../support/policy.js'

/**
 * Property: a scheduling tick decides the same with the cached start check as with
 * the plain rules (one ruleContext per experiment from every record, as the
 * scheduler did before the cache). Random queues, random policy files, and random
 * changes between ticks (time passing through freezes, burn counts, new revisions,
 * experiments ending, a policy file swapped), one cache kept across all ticks.
 */

const NAMESPACES = ['web', 'mobile']
const LAYERS = ['l1', 'l2', 'l3']
const SERVICES = ['checkout', 'search', 'auth']

type Rand = ReturnType<typeof createRng>
const int = (rng: Rand, n: number) => Math.floor(rng.uniform() * n)
const pick = <T>(rng: Rand, xs: readonly T[]): T => xs[int(rng, xs.length)]!
const maybe = (rng: Rand, p = 0.5) => rng.uniform() < p

function randomPolicy(rng: Rand): PolicyConfig {
  const layer = () => ({
    ...(maybe(rng) ? { quotas: { ...(maybe(rng) ? { runningPerTeam: 1 + int(rng, 3) } : {}), ...(maybe(rng) ? { runningPerNamespace: 1 + int(rng, 6) } : {}) } } : {}),
    ...(maybe(rng, 0.3) ? { layers: { capacity: pick(rng, [50, 80, 100]), overrides: maybe(rng) ? { l2: 40 } : {} } } : {}),
    ...(maybe(rng, 0.4) ? { maxExposure: { ab: pick(rng, [1, 3, 10]) } } : {}),
    ...(maybe(rng, 0.5)
      ? { freezes: [maybe(rng) ? { name: 'release', start: new Date(T0 + int(rng, 6) * HOUR).toISOString(), end: new Date(T0 + (6 + int(rng, 6)) * HOUR).toISOString() } : { name: 'nights', weekly: { days: ['thu'], from: '03:00', to: '05:00' } }] }
      : {}),
    ...(maybe(rng, 0.3) ? { errorBudget: { threshold: pick(rng, [1, 2]), ...(maybe(rng) ? { window: '30m' } : {}) } } : {}),
  })
  return policyConfig({
    defaults: layer(),
    namespaces: maybe(rng) ? { mobile: layer() } : {},
    slos: Object.fromEntries(SERVICES.filter(() => maybe(rng, 0.6)).map((s) => [s, { metric: `${s}_error`, objective: pick(rng, [0.99, 0.999]) }])),
  })
}

let serial = 0
function randomQueued(rng: Rand, now: number): ExperimentRecord {
  const spec = specFixture({
    id: `e-${serial++}`,
    namespace: pick(rng, NAMESPACES),
    layer: pick(rng, LAYERS),
    owner: pick(rng, ['team-a', 'team-b', 'team-c']),
    priority: int(rng, 4) * 100,
    trafficShare: pick(rng, [5, 10, 25, 50, 100]),
    services: SERVICES.filter(() => maybe(rng, 0.4)),
  })
  return recordFixture({ spec, state: 'queued', enqueuedAt: now - int(rng, 10) * MINUTE, version: 1 })
}

function randomBurn(rng: Rand, config: PolicyConfig): Map<string, ServiceWindows> {
  const out = new Map<string, ServiceWindows>()
  for (const ns of NAMESPACES) {
    for (const service of SERVICES) {
      if (maybe(rng, 0.2)) continue // no data
      const total = 100 + int(rng, 900)
      const bad = maybe(rng, 0.6) ? int(rng, 3) : int(rng, total / 5)
      out.set(burnWindowKey(service, rulesFor(config, ns)), { long: { bad, total }, short: { bad: Math.min(bad, int(rng, bad + 2)), total } })
    }
  }
  return out
}

/** The plain rules, as the scheduler asked them before: a fresh context from every record, each start seen by the next check. */
function plainCheck(config: PolicyConfig, now: number, records: ReadonlyArray<ExperimentRecord>, burn: ReadonlyMap<string, ServiceWindows>): StartCheck {
  let current = [...records]
  return {
    check: (r) => {
      const rules = rulesFor(config, r.spec.namespace)
      const serviceWindows: Record<string, ServiceWindows> = {}
      for (const s of r.spec.services) {
        const w = burn.get(burnWindowKey(s, rules))
        if (w && config.slos[s]) serviceWindows[s] = w
      }
      return evaluatePolicy(r.spec, ruleContext({ config, spec: r.spec, phase: 'start', now, records: current, serviceWindows }))
    },
    hold: (r) => {
      current = current.map((x) => (x.spec.id === r.spec.id ? { ...x, state: 'scheduled' } : x))
    },
  }
}

function cachedCheck(cache: PolicyCache, config: PolicyConfig, now: number, records: ReadonlyArray<ExperimentRecord>, burn: ReadonlyMap<string, ServiceWindows>): StartCheck {
  cache.retain(new Set(records.filter((r) => r.state === 'queued').map((r) => r.spec.id)))
  const snapshot = new StartSnapshot({ config, now, records, burnWindows: burn })
  return {
    check: (r) => cache.outcome(r.spec.id, snapshot.key(r, cache.specToken(r), (s) => cache.intern(s)), () => snapshot.check(r)),
    hold: (r) => snapshot.hold(r),
  }
}

/** What the queue service does with a plan: starts run (with their ranges), refusals are written. */
function apply(records: ExperimentRecord[], plan: TickPlan, now: number): ExperimentRecord[] {
  const started = new Map(plan.starts.map((s) => [s.experimentId, s.allocation]))
  const blocked = new Map(plan.blockedBy.map((b) => [b.experimentId, b.blockedBy]))
  return records.map((r) => {
    const allocation = started.get(r.spec.id)
    if (allocation) return { ...r, state: 'running', allocation, startedAt: now, version: r.version + 2, ledgerHash: `${r.ledgerHash}+` }
    if (blocked.has(r.spec.id)) return { ...r, blockedBy: blocked.get(r.spec.id)!, version: r.version + 1 }
    return r
  })
}

function scenario(seed: number, ticks: number) {
  const rng = createRng({ seed })
  let config = randomPolicy(rng)
  let now = T0 + int(rng, 12) * HOUR
  let records = Array.from({ length: 5 + int(rng, 40) }, () => randomQueued(rng, now))
  let burn = randomBurn(rng, config)
  const cache = new PolicyCache()
  let checks = 0
  for (let t = 0; t < ticks; t++) {
    const opts = { layerCapacity: (ns: string, layer: string) => rulesFor(config, ns).layers.overrides[layer] ?? rulesFor(config, ns).layers.capacity, now, agingPerHour: 1 }
    const plain = runSteps(planTickSteps(records, opts, plainCheck(config, now, records, burn)))
    const withCache = runSteps(planTickSteps(records, opts, cachedCheck(cache, config, now, records, burn)))
    expect(withCache, `seed ${seed}, tick ${t}`).toEqual(plain)
    checks += records.filter((r) => r.state === 'queued').length
    records = apply(records, plain, now)
    // What changes between ticks.
    now += pick(rng, [1, 5, 30, 90]) * MINUTE
    if (maybe(rng, 0.4)) burn = randomBurn(rng, config)
    if (maybe(rng, 0.3)) records = records.map((r) => (r.state === 'running' && maybe(rng, 0.3) ? { ...r, state: 'completed', allocation: null, version: r.version + 1 } : r))
    if (maybe(rng, 0.3)) records.push(...Array.from({ length: 1 + int(rng, 8) }, () => randomQueued(rng, now)))
    if (maybe(rng, 0.2)) {
      // A queued experiment's spec changes (a new revision of the record).
      const i = records.findIndex((r) => r.state === 'queued')
      if (i >= 0) {
        const r = records[i]!
        records[i] = { ...r, spec: { ...r.spec, trafficShare: pick(rng, [5, 10, 25, 50]), services: SERVICES.filter(() => maybe(rng, 0.5)) }, version: r.version + 1, ledgerHash: `${r.ledgerHash}*` }
      }
    }
    if (maybe(rng, 0.1)) {
      config = randomPolicy(rng)
      burn = randomBurn(rng, config)
    }
  }
  return { hits: cache.hits, checks, burnPairs: burnWindowsNeeded(config, records.map((r) => r.spec)).size }
}

describe('scheduling tick with the policy cache', () => {
  it('decides what the plain rules decide, over 300 random queues of 12 ticks each', () => {
    let hits = 0
    let checks = 0
    for (let seed = 1; seed <= 300; seed++) {
      const s = scenario(seed, 12)
      hits += s.hits
      checks += s.checks
    }
    // The comparison went through the cache, not only through recomputation.
    expect(hits).toBeGreaterThan(checks / 4)
  })

  it('without a policy, starts what fits and writes no refusals', () => {
    const rng = createRng({ seed: 7 })
    const records = Array.from({ length: 20 }, () => randomQueued(rng, T0))
    const plan = runSteps(planTickSteps(records, { layerCapacity: () => 100, now: T0 }, null))
    expect(plan.blockedBy).toEqual([])
    expect(plan.starts.length).toBeGreaterThan(0)
  })

  it('a refusal already stored is not written again; a lifted one is cleared', () => {
    const config = policyConfig({ defaults: { freezes: [{ name: 'release', start: new Date(T0).toISOString(), end: new Date(T0 + HOUR).toISOString() }] } })
    const r = recordFixture({ spec: specFixture({ id: 'a' }), state: 'queued', version: 1 })
    const opts = (now: number) => ({ layerCapacity: () => 100, now })
    const cache = new PolicyCache()
    const first = runSteps(planTickSteps([r], opts(T0), cachedCheck(cache, config, T0, [r], new Map())))
    expect(first.starts).toEqual([])
    expect(first.blockedBy.map((b) => b.blockedBy?.map((f) => f.rule))).toEqual([['freeze-window']])
    const held = apply([r], first, T0)
    const second = runSteps(planTickSteps(held, opts(T0 + MINUTE), cachedCheck(cache, config, T0 + MINUTE, held, new Map())))
    expect(second.blockedBy).toEqual([])
    const lifted = runSteps(planTickSteps(held, opts(T0 + HOUR), cachedCheck(cache, config, T0 + HOUR, held, new Map())))
    expect(lifted.blockedBy).toEqual([{ experimentId: 'a', blockedBy: null }])
    expect(lifted.starts.map((s) => s.experimentId)).toEqual(['a'])
  })
})
