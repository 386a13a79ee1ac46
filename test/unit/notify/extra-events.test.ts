import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../src/adapters/clock/manual-clock.js'
import { loadConfig } from '../../../src/config.js'
import type { Incident } from '../../../src/domain/incident.js'
import { NotifyEventSchema, type NotifyEvent } from '../../../src/domain/notify-event.js'
import { DEFAULT_POLICY_CONFIG } from '../../../src/domain/policy-config.js'
import { AlertmanagerSink } from '../../../src/notify/alertmanager-sink.js'
import { fromIncident, fromInterference } from '../../../src/notify/extra-events.js'
import { bindCommand } from '../../../src/notify/outbox-retention.js'
import { SlackSink } from '../../../src/notify/slack-sink.js'
import type { Warehouse } from '../../../src/ports/warehouse.js'
import { NotifyService } from '../../../src/services/notify.js'

const incident: Incident = { fingerprint: 'f00d', alertname: 'CheckoutErrors', service: 'checkout', experiment: '', status: 'firing', startedAt: 1000, resolvedAt: null, summary: '5xx', paused: ['exp-1', 'exp-2'] }
const spec = (id: string) => ({ id, namespace: 'shop', owner: 'ana', onCall: 'pager', services: ['checkout'] })

describe('incident events', () => {
  it('opening is a ticket naming what was paused; lifting is info naming what resumed; ids are stable per incident', () => {
    const opened = fromIncident('https://runway.example/', incident, 'opened', 2000)
    expect(NotifyEventSchema.parse(opened)).toEqual(opened)
    expect(opened).toMatchObject({ id: 'in-f00d-1000-opened', type: 'incident_opened', severity: 'ticket', services: ['checkout'], namespace: '*', link: 'https://runway.example/v1/incidents', alert: null })
    expect(opened.reasons[0]).toMatchObject({ code: 'INCIDENT', numbers: { paused: 2 } })
    expect(opened.reasons[0]!.message).toContain('exp-1, exp-2')
    const resolved = fromIncident('https://runway.example', { ...incident, status: 'resolved' }, 'resolved', 3000, { resumed: ['exp-1'], held: ['exp-2'] })
    expect(resolved).toMatchObject({ id: 'in-f00d-1000-resolved', type: 'incident_resolved', severity: 'info' })
    expect(resolved.reasons[0]!.numbers).toMatchObject({ resumed: 1, held: 1 })
    expect(fromIncident('https://runway.example/', incident, 'opened', 9999).id).toBe(opened.id)
  })

  it('is not posted back to Alertmanager (it came from there), and the opening goes to Slack', () => {
    const am = new AlertmanagerSink({ url: 'http://127.0.0.1:1', clock: new ManualClock(0), timeoutMs: 1, rollbackHoldMs: 1 })
    const e = fromIncident('https://r', incident, 'opened', 1)
    expect(am.accepts(e)).toBe(false)
    expect(new SlackSink('http://127.0.0.1:1', 1).accepts(e)).toBe(true)
    expect(new SlackSink('http://127.0.0.1:1', 1).accepts(fromIncident('https://r', incident, 'resolved', 1))).toBe(false)
  })

  it('an experiment-targeted incident links to the experiment', () => {
    expect(fromIncident('https://r', { ...incident, service: '', experiment: 'exp-9' }, 'opened', 1)).toMatchObject({ experimentId: 'exp-9', link: 'https://r/experiments/exp-9', services: [] })
  })
})

const row = (a: string, b: string, status: string, action = 'flagged') => ({
  experiment_a: a, experiment_b: b, status, action, kind: 'interaction', metric: 'conversion', p_value: 0.0001, adjusted_p: 0.0004, delta: 0.05, relative: 0.1, chi_square: null, correlation: null,
})

/** A NotifyService over a warehouse that only records inserts (the outbox rows). */
function service() {
  const outbox: NotifyEvent[] = []
  const warehouse: Warehouse = {
    command: async () => {},
    select: async () => [],
    insert: async (table, rows) => {
      if (table === 'notify_outbox') for (const r of rows) outbox.push(JSON.parse(String(r.body)) as NotifyEvent)
    },
    close: async () => {},
  }
  const config = { ...loadConfig({}).notify, webhookUrls: ['http://127.0.0.1:9/none'], publicUrl: 'https://r' }
  const state = { get: async (id: string) => ({ spec: spec(id) }) as never }
  const notify = new NotifyService({ config, policy: DEFAULT_POLICY_CONFIG, warehouse, state, clock: new ManualClock(5000), log: pino({ level: 'silent' }), tickMs: 3_600_000 })
  return { notify, outbox }
}

describe('interference warnings', () => {
  it('a pair that becomes flagged warns both experiments once (a ticket); still flagged is not told again; flagged again after clearing is', async () => {
    const { notify, outbox } = service()
    const run = (id: string, rows: ReturnType<typeof row>[]) => notify.interference({ runId: id, evaluatedAt: 7000, rows: rows as never })
    await run('r1', [row('a', 'b', 'flagged'), row('a', 'b', 'flagged'), row('c', 'd', 'clear')])
    await notify.flush()
    expect(outbox.map((e) => [e.experimentId, e.type, e.severity])).toEqual([['a', 'health_warning', 'ticket'], ['b', 'health_warning', 'ticket']])
    expect(outbox[0]).toMatchObject({ id: 'hw-a-INTERFERENCE-b-r1', summary: 'a: INTERFERENCE with b', at: 7000 })
    expect(outbox[0]!.reasons).toHaveLength(2)
    expect(outbox[0]!.reasons[0]).toMatchObject({ code: 'INTERFERENCE', numbers: { adjusted_p: 0.0004 } })
    for (const e of outbox) expect(NotifyEventSchema.parse(e)).toEqual(e)
    await run('r2', [row('a', 'b', 'flagged', 'paused')])
    await notify.flush()
    expect(outbox).toHaveLength(2)
    await run('r3', [row('a', 'b', 'clear')])
    await run('r4', [row('a', 'b', 'flagged', 'paused')])
    await notify.flush()
    expect(outbox.slice(2).map((e) => e.id)).toEqual(['hw-a-INTERFERENCE-b-r4', 'hw-b-INTERFERENCE-a-r4'])
    expect(outbox[2]!.summary).toContain('policy paused the lower priority')
    await notify.stop()
  })

  it('fromInterference keeps the numbers and the link', () => {
    const e = fromInterference({ publicUrl: 'https://r/', spec: spec('x') }, { runId: 'r', other: 'y', rows: [row('x', 'y', 'flagged')] }, 1)
    expect(e).toMatchObject({ link: 'https://r/experiments/x', namespace: 'shop', onCall: 'pager', reasons: [{ numbers: { p_value: 0.0001, relative: 0.1 } }] })
  })
})

describe('retention command binding', () => {
  it('binds integers and escaped strings, and refuses anything else', () => {
    expect(bindCommand('a < {c:Int64} AND has(splitByChar(\'\\n\', {s:String}), x)', { c: 42, s: "we'b\\hook\nslack" })).toBe("a < 42 AND has(splitByChar('\\n', 'we\\'b\\\\hook\\nslack'), x)")
    expect(() => bindCommand('{c:Int64}', { c: 1.5 })).toThrow(/Int64/)
    expect(() => bindCommand('{c:Int64}', { c: '1' })).toThrow()
    expect(() => bindCommand('{s:String}', {})).toThrow(/missing/)
  })
})
