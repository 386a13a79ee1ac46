import { describe, expect, it } from 'vitest'
import type { LifecycleState } from '../../../src/domain/lifecycle.js'
import { recordFixture, specFixture } from '../../support/fixtures.js'
import { check, failedRules } from '../../support/policy.js'

const other = (id: string, state: LifecycleState, over: { namespace?: string; owner?: string; team?: string } = {}) =>
  recordFixture({ spec: specFixture({ id, namespace: over.namespace ?? 'web', owner: over.owner ?? 'team-a', team: over.team ?? '' }), state })

const spec = (over: { team?: string; owner?: string } = {}) => specFixture({ id: 'new-one', namespace: 'web', owner: over.owner ?? 'team-a', team: over.team ?? '' })

describe('quota-team (start)', () => {
  const policy = { defaults: { quotas: { runningPerTeam: 2 } } }

  it('passes under the quota and fails at it', () => {
    const one = [other('a', 'running')]
    const two = [other('a', 'running'), other('b', 'paused')]
    expect(failedRules(spec(), { phase: 'start', policy, records: one })).toEqual([])
    const outcome = check(spec(), { phase: 'start', policy, records: two })
    expect(outcome.failures).toEqual([{ rule: 'quota-team', path: 'team', message: expect.stringMatching(/team-a already runs 2 .*quota 2/) }])
  })

  it('counts experiments that hold traffic (scheduled, running, paused), not queued or ended ones', () => {
    const records = [other('a', 'scheduled'), other('b', 'queued'), other('c', 'completed'), other('d', 'rolled_back')]
    expect(failedRules(spec(), { phase: 'start', policy: { defaults: { quotas: { runningPerTeam: 1 } } }, records })).toEqual(['quota-team'])
    expect(failedRules(spec(), { phase: 'start', policy, records })).toEqual([])
  })

  it('team defaults to the owner; an explicit team overrides it', () => {
    const records = [other('a', 'running', { owner: 'alice', team: 'payments' }), other('b', 'running', { owner: 'payments' })]
    expect(failedRules(spec({ owner: 'payments' }), { phase: 'start', policy, records })).toEqual(['quota-team'])
    expect(failedRules(spec({ owner: 'bob', team: 'payments' }), { phase: 'start', policy, records })).toEqual(['quota-team'])
    expect(failedRules(spec({ owner: 'payments', team: 'search' }), { phase: 'start', policy, records })).toEqual([])
  })

  it('counts only the same namespace, and never the experiment itself', () => {
    const records = [other('a', 'running', { namespace: 'mobile' }), other('b', 'running', { namespace: 'mobile' }), recordFixture({ spec: spec(), state: 'running' })]
    expect(failedRules(spec(), { phase: 'start', policy, records })).toEqual([])
  })

  it('applies at start only', () => {
    const records = [other('a', 'running'), other('b', 'running')]
    expect(failedRules(spec(), { phase: 'enqueue', policy, records })).toEqual([])
    expect(failedRules(spec(), { phase: 'ramp', policy, records })).toEqual([])
  })
})

describe('quota-namespace (start)', () => {
  const policy = { namespaces: { web: { quotas: { runningPerNamespace: 2 } } } }

  it('fails when the namespace is full, whatever the team', () => {
    const records = [other('a', 'running', { owner: 'x' }), other('b', 'running', { owner: 'y' })]
    const outcome = check(spec(), { phase: 'start', policy, records })
    expect(outcome.failures).toEqual([{ rule: 'quota-namespace', path: 'namespace', message: expect.stringMatching(/namespace web already runs 2 .*quota 2/) }])
    expect(failedRules(spec(), { phase: 'start', policy, records: records.slice(1) })).toEqual([])
  })

  it('another namespace has no quota unless configured', () => {
    const records = [other('a', 'running', { namespace: 'mobile' }), other('b', 'running', { namespace: 'mobile' })]
    const mobile = specFixture({ id: 'new-one', namespace: 'mobile' })
    expect(failedRules(mobile, { phase: 'start', policy, records })).toEqual([])
  })

  it('team and namespace quotas fail together', () => {
    const records = [other('a', 'running'), other('b', 'running')]
    expect(failedRules(spec(), { phase: 'start', policy: { defaults: { quotas: { runningPerTeam: 1, runningPerNamespace: 2 } } }, records })).toEqual(['quota-team', 'quota-namespace'])
  })
})
