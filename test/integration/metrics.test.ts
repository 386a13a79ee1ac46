import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ENGINE_VERSION } from '../../src/domain/verdict.js'
import { TOPICS } from '../../src/ports/bus.js'
import { type Embedded, T0, postJson, specBody, startEmbedded } from '../support/embedded.js'

let rt: Embedded
beforeAll(async () => {
  // Journaled ledger writes are flushed by reads only (no timer within the test), so the
  // pending gauge has one exact value at each point.
  rt = await startEmbedded({ config: { ledgerJournal: { enabled: true, flushMs: 60_000 } } })
})
afterAll(async () => {
  await rt.stop()
  rt.cleanup()
})

/** One sample's value from the Prometheus text format. */
function sample(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name} `)))
  if (!line) throw new Error(`no sample ${name}${labels} in\n${text.slice(0, 2000)}`)
  return Number(line.split(' ').at(-1))
}

describe('GET /metrics', () => {
  it("exposes the queue's SLIs and they move with what happens", async () => {
    for (const id of ['m-1', 'm-2']) expect((await postJson(rt.baseUrl, '/v1/experiments', specBody({ id, layer: id }))).status).toBe(201)
    await rt.runtime.queue.scheduleTick()
    const events = [0, 1, 2].map((i) => JSON.stringify({ eventId: `e${i}`, ts: T0 + i, experimentId: 'm-1', variant: 'control', unitId: `u${i}`, metric: 'conversion', outcome: true }))
    events.push('{ not json')
    await fetch(`${rt.baseUrl}/v1/events`, { method: 'POST', body: events.join('\n'), headers: { 'content-type': 'application/x-ndjson' } })
    const verdict = { id: randomUUID(), experimentId: 'm-2', seq: 1, decision: 'rollback', step: 0, reasons: [], window: { from: T0, to: T0 }, evaluatedAt: rt.clock.now(), engineVersion: ENGINE_VERSION, needsApproval: false }
    await rt.runtime.bus.publish(TOPICS.verdicts, 'm-2', verdict)

    const res = await fetch(`${rt.baseUrl}/metrics`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/plain')
    const text = await res.text()
    expect(sample(text, 'runway_enqueue_seconds_count')).toBeGreaterThanOrEqual(2)
    expect(sample(text, 'runway_telemetry_events_total', '{source="http",outcome="accepted"}')).toBe(3)
    expect(sample(text, 'runway_telemetry_events_total', '{source="http",outcome="dead_lettered"}')).toBe(1)
    expect(sample(text, 'runway_telemetry_attach_rate')).toBeCloseTo(0.75, 6)
    expect(sample(text, 'runway_dead_letter_rate')).toBeCloseTo(0.25, 6)
    expect(sample(text, 'runway_transitions_total', '{to="rolled_back",ledger="written"}')).toBe(1)
    expect(sample(text, 'runway_audit_completeness')).toBe(1)
    expect(sample(text, 'runway_gate_enforcement_seconds_count')).toBe(1)
    expect(sample(text, 'runway_verdicts_total', '{decision="rollback",outcome="applied"}')).toBe(1)
    expect(sample(text, 'runway_experiment_failure_rate')).toBe(1) // one ended, rolled back
    expect(sample(text, 'runway_rollbacks_per_100_experiments')).toBe(50) // of two started
    expect(sample(text, 'runway_experiments', '{state="running"}')).toBe(1)
    expect(text).toContain('runway_sli_compute_seconds_bucket')
    expect(text).toContain('runway_evaluation_lag_seconds')
    expect(text).toContain('runway_ledger_journal_pending')
  })

  it('runway_ledger_journal_pending counts ledger rows acknowledged and not yet in the warehouse', async () => {
    const pending = async () => sample(await (await fetch(`${rt.baseUrl}/metrics`)).text(), 'runway_ledger_journal_pending')
    await rt.runtime.warehouse.select('SELECT 1') // a read writes the journal out first
    expect(await pending()).toBe(0)
    // An enqueue writes three rows (experiments, lifecycle, ledger_heads); a pause two (lifecycle, ledger_heads).
    expect((await postJson(rt.baseUrl, '/v1/experiments', specBody({ id: 'm-3', layer: 'm-3' }))).status).toBe(201)
    expect(await pending()).toBe(3)
    expect((await postJson(rt.baseUrl, '/v1/experiments/m-1/pause', { reason: 'gauge check' })).status).toBe(200)
    expect(await pending()).toBe(5)
    await rt.runtime.warehouse.select('SELECT 1')
    expect(await pending()).toBe(0)
  })
})
