import type { StartCheck } from '../domain/schedule-tick.js'
import type { PolicyGate } from '../services/policy.js'
import type { NotifyService } from '../services/notify.js'

/**
 * The policy gate, telling notifications about each refused start or ramp (the
 * service keeps one event per distinct refusal, so a long freeze is not an event a tick).
 */
export function notifyingGate(gate: PolicyGate, notify: NotifyService): PolicyGate {
  if (!notify.enabled) return gate
  const wrapped: PolicyGate = {
    async check(spec, phase, targetStep) {
      const outcome = await gate.check(spec, phase, targetStep)
      if (!outcome.allowed && (phase === 'start' || phase === 'ramp')) void notify.refusal(spec, phase, outcome.failures)
      return outcome
    },
    async startCheck(records): Promise<StartCheck> {
      const inner = await gate.startCheck(records)
      return {
        check(r) {
          const o = inner.check(r)
          if (!o.allowed) void notify.refusal(r.spec, 'start', o.failures)
          return o
        },
        hold: (r) => inner.hold(r),
      }
    },
  }
  if (gate.checkApprover) wrapped.checkApprover = gate.checkApprover.bind(gate)
  return wrapped
}
