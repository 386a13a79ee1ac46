import { describe, expect, it } from 'vitest'
import { rulesFor } from '../../../src/domain/policy-config.js'
import { checkApprover } from '../../../src/domain/policy.js'
import { policyConfig } from '../../support/policy.js'

const config = policyConfig({ namespaces: { payments: { approvals: { separateApprover: true } } } })
const alice = { type: 'person' as const, id: 'alice' }
const bob = { type: 'person' as const, id: 'bob' }

describe('separate-approver', () => {
  it('refuses the enqueuer where the namespace asks for a separate approver, naming the rule', () => {
    expect(checkApprover(rulesFor(config, 'payments'), alice, alice)).toEqual([
      { rule: 'separate-approver', path: 'actor', message: 'alice enqueued this experiment; another person must approve its ramps' },
    ])
  })

  it('lets anyone else approve there', () => {
    expect(checkApprover(rulesFor(config, 'payments'), alice, bob)).toEqual([])
    // Same id, other kind of actor: not the same principal.
    expect(checkApprover(rulesFor(config, 'payments'), alice, { type: 'system', id: 'alice' })).toEqual([])
  })

  it('is off by default, and for records enqueued before the enqueuer was recorded', () => {
    expect(checkApprover(rulesFor(config, 'web'), alice, alice)).toEqual([])
    expect(checkApprover(rulesFor(config, 'payments'), null, alice)).toEqual([])
  })

  it('the file refuses a misspelt or mistyped key', () => {
    expect(() => policyConfig({ defaults: { approvals: { separateApprovers: true } } as never })).toThrow()
    expect(() => policyConfig({ defaults: { approvals: { separateApprover: 'yes' } } as never })).toThrow()
  })
})
