import { describe, expect, it } from 'vitest'
import {
  ALL_NAMESPACES,
  authorize,
  isGrantNamespace,
  namespacesWith,
  PERMISSIONS,
  type Permission,
  type Principal,
  ROLE_LADDER,
  ROLE_PERMISSIONS,
  ROLES,
  type Role,
} from '../../../src/domain/auth.js'

const who = (role: Role, namespace = 'checkout'): Principal => ({ name: `${role}-user`, tokenId: 't1', grants: [{ role, namespace }] })

/** The matrix, written out by hand: the code's tables must agree with it. */
const EXPECTED: Record<Role, Record<Permission, boolean>> = {
  viewer: { read: true, 'events:write': false, 'experiments:write': false, 'experiments:act': false, 'experiments:approve': false, 'tokens:admin': false, alert: false },
  service: { read: true, 'events:write': true, 'experiments:write': false, 'experiments:act': false, 'experiments:approve': false, 'tokens:admin': false, alert: false },
  alerter: { read: true, 'events:write': false, 'experiments:write': false, 'experiments:act': false, 'experiments:approve': false, 'tokens:admin': false, alert: true },
  experimenter: { read: true, 'events:write': true, 'experiments:write': true, 'experiments:act': true, 'experiments:approve': false, 'tokens:admin': false, alert: false },
  approver: { read: true, 'events:write': true, 'experiments:write': true, 'experiments:act': true, 'experiments:approve': true, 'tokens:admin': false, alert: false },
  admin: { read: true, 'events:write': true, 'experiments:write': true, 'experiments:act': true, 'experiments:approve': true, 'tokens:admin': true, alert: true },
}

describe('authorize: every role × every permission', () => {
  for (const role of ROLES) {
    for (const permission of PERMISSIONS) {
      const allowed = EXPECTED[role][permission]
      it(`${role} ${allowed ? 'may' : 'may not'} ${permission} in its namespace`, () => {
        const result = authorize(who(role), permission, 'checkout')
        if (allowed) expect(result).toEqual({ ok: true, principal: who(role) })
        else expect(result).toMatchObject({ ok: false, status: 403 })
      })
    }
  }
})

describe('authorize: namespaces', () => {
  it('a grant covers its own namespace only', () => {
    expect(authorize(who('admin', 'checkout'), 'read', 'search')).toMatchObject({ ok: false, status: 403 })
  })

  it('a grant on * covers every namespace, and * itself', () => {
    const root = who('viewer', ALL_NAMESPACES)
    expect(authorize(root, 'read', 'search').ok).toBe(true)
    expect(authorize(root, 'read', ALL_NAMESPACES).ok).toBe(true)
  })

  it('asking for * needs a grant on *, not on one namespace', () => {
    expect(authorize(who('admin', 'checkout'), 'tokens:admin', ALL_NAMESPACES)).toMatchObject({ ok: false, status: 403 })
  })

  it('a null scope (spanning namespaces) is satisfied by a grant anywhere', () => {
    expect(authorize(who('service', 'checkout'), 'events:write', null).ok).toBe(true)
    expect(authorize(who('viewer', 'checkout'), 'events:write', null).ok).toBe(false)
  })

  it('any one of several grants is enough', () => {
    const p: Principal = { name: 'p', tokenId: 't', grants: [{ role: 'viewer', namespace: 'a' }, { role: 'approver', namespace: 'b' }] }
    expect(authorize(p, 'experiments:approve', 'b').ok).toBe(true)
    expect(authorize(p, 'experiments:approve', 'a').ok).toBe(false)
  })
})

describe('authorize: refusals are values', () => {
  it('nobody authenticated is 401', () => {
    expect(authorize(null, 'read', 'checkout')).toMatchObject({ ok: false, status: 401 })
  })

  it('a 403 names the permission, the namespace and what is held', () => {
    const r = authorize(who('viewer'), 'experiments:act', 'search')
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.reason).toBe('viewer-user lacks experiments:act in namespace search (holds viewer on checkout)')
  })
})

describe('roles', () => {
  it('each rung of the ladder holds everything the one below holds, and more', () => {
    for (let i = 1; i < ROLE_LADDER.length; i++) {
      const lower = ROLE_PERMISSIONS[ROLE_LADDER[i - 1]!]
      const upper = ROLE_PERMISSIONS[ROLE_LADDER[i]!]
      for (const p of lower) expect(upper, `${ROLE_LADDER[i]} ⊇ ${ROLE_LADDER[i - 1]}`).toContain(p)
      expect(upper.length).toBeGreaterThan(lower.length)
    }
  })

  it('service is viewer plus telemetry, nothing that changes experiments', () => {
    expect([...ROLE_PERMISSIONS.service].sort()).toEqual(['events:write', 'read'])
  })

  it('namespacesWith lists where a permission is held', () => {
    const p: Principal = { name: 'p', tokenId: 't', grants: [{ role: 'admin', namespace: 'a' }, { role: 'viewer', namespace: '*' }] }
    expect([...namespacesWith(p, 'tokens:admin')]).toEqual(['a'])
    expect([...namespacesWith(p, 'read')].sort()).toEqual(['*', 'a'])
  })

  it('grant namespaces are slugs or *', () => {
    expect(isGrantNamespace('*')).toBe(true)
    expect(isGrantNamespace('checkout-eu')).toBe(true)
    expect(isGrantNamespace('Checkout')).toBe(false)
    expect(isGrantNamespace('a*')).toBe(false)
  })
})
