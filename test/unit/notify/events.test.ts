import { describe, expect, it } from 'vitest'
import { AlertmanagerWebhook, autoResumeAllowed, incidentHolds, type Incident } from '../../../src/domain/incident.js'
import type { LifecycleEvent } from '../../../src/domain/lifecycle.js'
import { NotifyEventSchema, fromTransition, fromVerdict } from '../../../src/domain/notify-event.js'
import { subscribed } from '../../../src/domain/notify-policy.js'
import { PolicyConfigSchema } from '../../../src/domain/policy-config.js'
import type { Verdict } from '../../../src/domain/verdict.js'
import { AlertmanagerSink, alertLabels } from '../../../src/notify/alertmanager-sink.js'
import { slackMessage } from '../../../src/notify/slack-sink.js'

const ctx = { publicUrl: 'https://runway.example/', spec: { id: 'exp-1', namespace: 'shop', owner: 'ana', onCall: 'pager-shop', services: ['checkout'], runbook: 'https://wiki/rb' } }
const tr = (over: Partial<LifecycleEvent>): LifecycleEvent => ({
  experimentId: 'exp-1', seq: 3, at: 1000, from: 'running', to: 'rolled_back', step: 1, exposure: 10, actor: { type: 'verdict', id: 'v1' },
  reason: 'rollback: error_rate up', verdictId: null, verdictSeq: null, allocation: null, codes: ['GUARDRAIL_HARM'], prevHash: '', hash: '', ...over,
})

describe('notify events', () => {
  it('a rollback pages, opens an alert, carries the link and runbook, and has a stable id', () => {
    const e = fromTransition(ctx, tr({}))
    expect(NotifyEventSchema.parse(e)).toEqual(e)
    expect(e).toMatchObject({ id: 'tr-exp-1-3', type: 'rolled_back', severity: 'page', link: 'https://runway.example/experiments/exp-1', runbook: 'https://wiki/rb', onCall: 'pager-shop', alert: { rule: 'rolled_back', status: 'firing' } })
    expect(fromTransition(ctx, tr({}))).toEqual(e)
  })

  it('names ramps, resumes and starts, and a resume resolves the pause alert', () => {
    expect(fromTransition(ctx, tr({ from: 'running', to: 'running' })).type).toBe('ramped')
    expect(fromTransition(ctx, tr({ from: 'scheduled', to: 'running' })).type).toBe('started')
    const resumed = fromTransition(ctx, tr({ from: 'paused', to: 'running' }))
    expect(resumed).toMatchObject({ type: 'resumed', alert: { rule: 'paused', status: 'resolved' } })
    expect(fromTransition(ctx, tr({ from: 'running', to: 'paused', actor: { type: 'system', id: 'incident' } })).severity).toBe('ticket')
    expect(fromTransition(ctx, tr({ from: 'running', to: 'paused', actor: { type: 'person', id: 'bo' } })).severity).toBe('info')
  })

  it('a verdict gives a decision event (not for continue) and one health warning per health code', () => {
    const v = (decision: Verdict['decision'], codes: string[]): Verdict => ({
      id: 'vd1', experimentId: 'exp-1', seq: 1, decision, step: 0, window: { from: 0, to: 1 }, evaluatedAt: 5, engineVersion: 'x', needsApproval: false,
      reasons: codes.map((code) => ({ code: code as never, message: code, numbers: { p: 0.001 } })),
    })
    expect(fromVerdict(ctx, v('continue', ['HEALTHY']))).toEqual([])
    const events = fromVerdict(ctx, v('pause', ['SRM', 'TELEMETRY_STALE']))
    expect(events.map((e) => [e.type, e.severity])).toEqual([['verdict', 'ticket'], ['health_warning', 'ticket'], ['health_warning', 'info']])
    expect(fromVerdict(ctx, v('rollback', ['GUARDRAIL_HARM']))[0]!.severity).toBe('page')
    expect(fromVerdict(ctx, v('continue', ['SLO_BURN_CONTROL']))).toEqual([])
  })

  it('subscriptions: a namespace gets its own types plus those under *', () => {
    const subs = { subscriptions: { '*': ['rolled_back' as const], shop: ['paused' as const] } }
    expect(subscribed(subs, { namespace: 'shop', type: 'paused' })).toBe(true)
    expect(subscribed(subs, { namespace: 'other', type: 'paused' })).toBe(false)
    expect(subscribed(subs, { namespace: 'other', type: 'rolled_back' })).toBe(true)
    expect(subscribed({}, { namespace: 'other', type: 'queued' })).toBe(true)
  })

  it('the policy file\'s notifications block is strict', () => {
    expect(PolicyConfigSchema.safeParse({ notifications: { subscriptions: { shop: ['paused'] }, maintenance: [{ name: 'm', start: '2026-12-01T00:00:00Z', end: '2026-12-02T00:00:00Z' }] } }).success).toBe(true)
    const bad = PolicyConfigSchema.safeParse({ notifications: { subscribe: {} } })
    expect(bad.success).toBe(false)
    expect(JSON.stringify(bad.error?.issues)).toContain('subscribe')
    expect(PolicyConfigSchema.safeParse({ notifications: { subscriptions: { shop: ['nope'] } } }).success).toBe(false)
  })
})

describe('sinks', () => {
  it('Alertmanager: labels, runbook annotation; resolution reuses the firing labels with endsAt', async () => {
    const posted: unknown[] = []
    const sink = new AlertmanagerSink({ url: 'http://am', clock: { now: () => 0, every: () => () => {} }, timeoutMs: 10, rollbackHoldMs: 1000 })
    ;(sink as unknown as { post: (a: unknown[]) => Promise<void> }).post = async (a) => void posted.push(...a)
    const paused = fromTransition(ctx, tr({ to: 'paused', codes: ['TELEMETRY_STALE'] }))
    expect(alertLabels(paused)).toEqual({ alertname: 'runway_paused', experiment: 'exp-1', namespace: 'shop', service: 'checkout', severity: 'ticket', reason: 'TELEMETRY_STALE' })
    await sink.deliver(paused)
    await sink.deliver(fromTransition(ctx, tr({ from: 'paused', to: 'running', at: 2000, codes: [] })))
    expect(posted).toHaveLength(2)
    const [fire, resolve] = posted as Array<{ labels: unknown; annotations: Record<string, string>; endsAt?: string }>
    expect(fire!.annotations.runbook_url).toBe('https://wiki/rb')
    expect(fire!.endsAt).toBeUndefined()
    expect(resolve!.labels).toEqual(fire!.labels)
    expect(resolve!.endsAt).toBe(new Date(2000).toISOString())
    expect(sink.openAlerts).toBe(0)
  })

  it('Slack: Block Kit with a header, fields and a link button', () => {
    const m = slackMessage(fromTransition(ctx, tr({}))) as { blocks: Array<{ type: string; elements?: Array<{ url?: string }> }> }
    expect(m.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'actions', 'context'])
    expect(m.blocks[3]!.elements![0]!.url).toBe('https://runway.example/experiments/exp-1')
  })
})

describe('incidents', () => {
  const inc = (over: Partial<Incident>): Incident => ({ fingerprint: 'f', alertname: 'Errs', service: 'checkout', experiment: '', status: 'firing', startedAt: 0, resolvedAt: null, summary: '', paused: [], ...over })
  it('hold starts and ramps of experiments declaring the service, or named by the alert', () => {
    expect(incidentHolds([inc({})], { id: 'a', services: ['checkout'] })).toMatchObject([{ rule: 'incident', path: 'services[0]' }])
    expect(incidentHolds([inc({})], { id: 'a', services: ['search'] })).toEqual([])
    expect(incidentHolds([inc({ status: 'resolved' })], { id: 'a', services: ['checkout'] })).toEqual([])
    expect(incidentHolds([inc({ service: '', experiment: 'a' })], { id: 'a', services: [] })).toHaveLength(1)
  })
  it('autoResume is read from the rules when present', () => {
    expect(autoResumeAllowed({})).toBe(false)
    expect(autoResumeAllowed({ autoResume: true })).toBe(true)
    expect(autoResumeAllowed({ autoResume: { incident: false } })).toBe(false)
  })
  it('the Alertmanager payload is strict', () => {
    const ok = { version: '4', groupKey: 'g', truncatedAlerts: 0, status: 'firing', receiver: 'r', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: '', alerts: [{ status: 'firing', labels: { service: 'x' }, annotations: {}, startsAt: '', endsAt: '', generatorURL: '', fingerprint: 'f' }] }
    expect(AlertmanagerWebhook.safeParse(ok).success).toBe(true)
    expect(AlertmanagerWebhook.safeParse({ ...ok, version: '3' }).success).toBe(false)
    expect(AlertmanagerWebhook.safeParse({ ...ok, alerts: [{ ...ok.alerts[0], labelz: {} }] }).success).toBe(false)
  })
})
