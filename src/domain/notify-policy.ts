import { z } from 'zod'
import { NotifyEventType, type NotifyEvent } from './notify-event.js'

/**
 * The policy file's `notifications` block. Built from the file's window schema
 * (policy-config.ts passes its FreezeWindow) so that this module does not import
 * policy-config, which imports it.
 *
 *   notifications:
 *     subscriptions: { '*': [rolled_back, paused], checkout: [verdict, health_warning] }
 *     maintenance: [{ name: db-upgrade, start: 2026-12-01T22:00:00Z, end: 2026-12-01T23:00:00Z }]
 *
 * Without `subscriptions` every event goes to every sink; with it, a namespace's events
 * are those listed for it plus those listed under `*`. Maintenance windows (and each
 * namespace's freeze windows) mark events as suppressed: alerting sinks do not page.
 */
export function notificationsBlock<W extends z.ZodType>(window: W) {
  return z.strictObject({
    subscriptions: z.record(z.string().regex(/^(\*|[a-z0-9][a-z0-9-]{0,62})$/, 'a namespace name or *'), z.array(NotifyEventType)).optional(),
    maintenance: z.array(window).default([]),
  })
}

export interface NotificationRules<W> {
  subscriptions?: Record<string, NotifyEventType[]> | undefined
  maintenance: W[]
}

export function subscribed(rules: Pick<NotificationRules<unknown>, 'subscriptions'> | undefined, e: Pick<NotifyEvent, 'namespace' | 'type'>): boolean {
  const subs = rules?.subscriptions
  if (!subs) return true
  return [...(subs['*'] ?? []), ...(subs[e.namespace] ?? [])].includes(e.type)
}
