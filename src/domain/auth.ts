import { Slug } from './experiment.js'

/**
 * Who may do what, per namespace. Pure: principals, grants and permissions are
 * plain data, and a refusal is a value with its HTTP status, not an exception.
 */

/**
 * Roles, least to most powerful: viewer < experimenter < approver < admin, each
 * holding everything the one before holds. `service` sits beside the ladder: what a
 * service emitting telemetry needs (assign, send events) and nothing that changes
 * experiments, so a token baked into a deployment cannot enqueue or roll back.
 * `alerter` sits beside it too: Alertmanager's webhook token (incoming alerts only).
 */
export const ROLES = ['viewer', 'service', 'alerter', 'experimenter', 'approver', 'admin'] as const
export type Role = (typeof ROLES)[number]

/** The ladder, for `--role` help and for checking that each rung includes the one below. */
export const ROLE_LADDER: readonly Role[] = ['viewer', 'experimenter', 'approver', 'admin']

export const PERMISSIONS = [
  /** GET anything, and assignment (POST /v1/assign changes nothing). */
  'read',
  /** Telemetry ingest. */
  'events:write',
  /** Enqueue (and edit) experiment specs. */
  'experiments:write',
  /** Operator actions on an experiment: pause, resume, rollback, cancel. */
  'experiments:act',
  /** Approve a ramp or action that policy holds for a human. */
  'experiments:approve',
  /** Create, list and revoke API tokens. */
  'tokens:admin',
  /** Send incoming alerts (POST /v1/alerts/alertmanager): puts services in incident mode. */
  'alert',
] as const
export type Permission = (typeof PERMISSIONS)[number]

const VIEWER: readonly Permission[] = ['read']
// Experimenters send telemetry too: `runway simulate --server` and staging tests run as a person.
const EXPERIMENTER: readonly Permission[] = [...VIEWER, 'events:write', 'experiments:write', 'experiments:act']
const APPROVER: readonly Permission[] = [...EXPERIMENTER, 'experiments:approve']

export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  viewer: VIEWER,
  service: [...VIEWER, 'events:write'],
  // What Alertmanager's webhook needs, and nothing that changes an experiment directly.
  alerter: [...VIEWER, 'alert'],
  experimenter: EXPERIMENTER,
  approver: APPROVER,
  admin: [...APPROVER, 'tokens:admin', 'alert'],
}

/** `*` grants a role in every namespace. */
export const ALL_NAMESPACES = '*'

export interface Grant {
  role: Role
  namespace: string
}

export interface Principal {
  /** Who the ledger names as the actor. */
  name: string
  /** The token that authenticated the request. */
  tokenId: string
  grants: readonly Grant[]
}

/**
 * Where a permission is asked for:
 * - a namespace name: a grant on it or on `*`;
 * - `*`: only a grant on `*` (e.g. minting a token valid everywhere);
 * - null: a grant on some namespace (routes that span namespaces, such as a telemetry batch).
 */
export type Scope = string | null

export type Authorization =
  | { ok: true; principal: Principal }
  | { ok: false; status: 401 | 403; reason: string }

export function roleAllows(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission)
}

function grantCovers(grant: Grant, scope: Scope): boolean {
  if (scope === null) return true
  return grant.namespace === ALL_NAMESPACES || grant.namespace === scope
}

export function describeScope(scope: Scope): string {
  if (scope === null) return 'any namespace'
  return scope === ALL_NAMESPACES ? "namespace '*' (all namespaces)" : `namespace ${scope}`
}

/** null principal: nobody authenticated (401). A principal without the permission there: 403. */
export function authorize(principal: Principal | null, permission: Permission, scope: Scope): Authorization {
  if (!principal) return { ok: false, status: 401, reason: 'a valid API token is required (Authorization: Bearer rw_…)' }
  if (principal.grants.some((g) => grantCovers(g, scope) && roleAllows(g.role, permission))) return { ok: true, principal }
  const held = principal.grants.map((g) => `${g.role} on ${g.namespace}`).join(', ') || 'no grants'
  return { ok: false, status: 403, reason: `${principal.name} lacks ${permission} in ${describeScope(scope)} (holds ${held})` }
}

/**
 * Namespaces in which the principal holds a permission; `*` when it holds it
 * everywhere. Lets a list be filtered to what the caller may see or manage.
 */
export function namespacesWith(principal: Principal, permission: Permission): Set<string> {
  return new Set(principal.grants.filter((g) => roleAllows(g.role, permission)).map((g) => g.namespace))
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value)
}

/** Namespace names as experiment specs allow them, or `*`. */
export function isGrantNamespace(value: string): boolean {
  return value === ALL_NAMESPACES || Slug.safeParse(value).success
}
