import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { type IncomingMessage, type Server, createServer as createHttpServer } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifySignature } from '../../src/notify/signature.js'
import { embeddedEnv, ROOT } from '../support/cli.js'
import { waitFor } from '../support/wait.js'

/**
 * Alerts in, alerts out, end to end through `runway serve` (embedded chDB) with real
 * receivers on 127.0.0.1: a signed-webhook receiver (which can be taken down), a Slack
 * stand-in that checks Block Kit, and Debian's Alertmanager (ALERTMANAGER_URL, started
 * by scripts/test.sh). Covers ordered at-least-once delivery across a receiver outage
 * and a kill -9, the Alertmanager alert lifecycle, and incident mode.
 */
const AM = process.env.ALERTMANAGER_URL
const SECRET = 'test-secret-0123456789'
const dir = mkdtempSync(join(tmpdir(), 'runway-notify-'))
const prefix = `nt${Date.now().toString(36)}`
let proc: ChildProcess | null = null
let log = ''
let url = ''

interface Received { id: string; type: string; experimentId: string; at: number; severity: string; link: string; services: string[]; reasons: Array<{ code: string; numbers: Record<string, number | null> }> }
const received: Received[] = []
const badSignatures: string[] = []
const slack: Array<Record<string, unknown>> = []
const slackProblems: string[] = []
let receiverUp = true

const body = (req: IncomingMessage) => new Promise<string>((resolve) => {
  let s = ''
  req.setEncoding('utf8').on('data', (d: string) => (s += d)).on('end', () => resolve(s))
})

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)))
}

const hook = createHttpServer(async (req, res) => {
  const raw = await body(req)
  if (!receiverUp) return void res.writeHead(503).end('down')
  const ok = verifySignature(SECRET, String(req.headers['x-runway-timestamp']), raw, String(req.headers['x-runway-signature']), Math.floor(Date.now() / 1000))
  if (!ok) badSignatures.push(raw)
  const e = JSON.parse(raw) as Received
  if (req.headers['x-runway-event-id'] !== e.id) badSignatures.push(`event id header ${String(req.headers['x-runway-event-id'])} != ${e.id}`)
  received.push(e)
  res.writeHead(200).end('ok')
})

const slackServer = createHttpServer(async (req, res) => {
  const m = JSON.parse(await body(req)) as { text?: unknown; blocks?: Array<{ type: string; text?: { type: string; text: string }; elements?: unknown[] }> }
  // Shape of an incoming-webhook Block Kit message: fallback text, a header and a section, a button link.
  if (typeof m.text !== 'string' || !Array.isArray(m.blocks)) slackProblems.push('text and blocks are required')
  else {
    if (m.blocks[0]?.type !== 'header' || m.blocks[0].text?.type !== 'plain_text') slackProblems.push('first block must be a plain_text header')
    if (!m.blocks.some((b) => b.type === 'section' && b.text?.type === 'mrkdwn')) slackProblems.push('a mrkdwn section is required')
    if (!m.blocks.every((b) => ['header', 'section', 'actions', 'context', 'divider'].includes(b.type))) slackProblems.push('unknown block type')
  }
  slack.push(m as Record<string, unknown>)
  res.writeHead(200).end('ok')
})

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

let hookUrl = ''
let slackUrl = ''

async function serve(): Promise<void> {
  const port = await freePort()
  const env = {
    ...embeddedEnv(), RUNWAY_LOG_LEVEL: 'warn', RUNWAY_DATA_DIR: dir, RUNWAY_PORT: String(port), RUNWAY_SCHEDULE_INTERVAL: '300ms',
    RUNWAY_PUBLIC_URL: 'https://runway.example', RUNWAY_WEBHOOK_URLS: hookUrl, RUNWAY_WEBHOOK_SECRET: SECRET, RUNWAY_SLACK_WEBHOOK_URL: slackUrl,
    RUNWAY_NOTIFY_RETRY_BASE: '100ms', RUNWAY_NOTIFY_RETRY_MAX: '500ms', RUNWAY_ALERT_ROLLBACK_HOLD: '4s',
    ...(AM ? { RUNWAY_ALERTMANAGER_URL: AM } : {}),
  }
  proc = spawn(process.execPath, [`${ROOT}bin/runway.js`, 'serve'], { env, stdio: ['ignore', 'ignore', 'pipe'] })
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (log = (log + d).slice(-20_000)))
  url = `http://127.0.0.1:${port}`
  const child = proc
  await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode})`)
    return fetch(`${url}/healthz`).then((r) => r.ok, () => false)
  }, { what: 'runway serve /healthz', timeoutMs: 60_000, detail: () => log })
}

async function until<T>(what: string, f: () => Promise<T | null | undefined | false> | T | null | undefined | false, ms = 30_000): Promise<T> {
  return (await waitFor(f, { what, timeoutMs: ms, detail: () => log.slice(-3000) })) as T
}

const api = async (method: string, path: string, payload?: unknown) => {
  const res = await fetch(`${url}${path}`, { method, ...(payload !== undefined ? { body: JSON.stringify(payload), headers: { 'content-type': 'application/json' } } : {}) })
  return { status: res.status, json: (await res.json()) as Record<string, any> }
}

const spec = (id: string, services: string[] = []) => ({
  id, layer: `${id}-layer`, owner: 'notify-test', onCall: 'oncall-notify', hypothesis: 'B beats A', services,
  variants: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }],
  metrics: { primary: { name: 'conversion' }, guardrails: [{ name: 'error_rate', direction: 'decrease' }] },
})

async function runningExperiment(id: string, services: string[] = []): Promise<void> {
  expect((await api('POST', '/v1/experiments', spec(id, services))).status).toBe(201)
  await until(`${id} running`, async () => (await api('GET', `/v1/experiments/${id}`)).json.experiment.state === 'running')
}

const of = (id: string) => received.filter((e) => e.experimentId === id)
const amAlerts = async (experiment: string) =>
  (await (await fetch(`${AM}/api/v2/alerts?filter=${encodeURIComponent(`experiment="${experiment}"`)}`)).json()) as Array<{ labels: Record<string, string>; annotations: Record<string, string> }>

beforeAll(async () => {
  hookUrl = `http://127.0.0.1:${await listen(hook)}/hook`
  slackUrl = `http://127.0.0.1:${await listen(slackServer)}/services/T000/B000/XXXX`
  await serve()
}, 90_000)

afterAll(() => {
  proc?.kill('SIGKILL')
  hook.close()
  slackServer.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('outgoing events', () => {
  it('delivers one signed rolled_back event and a paused event, with Alertmanager alerts that resolve', async () => {
    const harmful = `${prefix}-harm`
    const stale = `${prefix}-stale`
    await runningExperiment(harmful, ['search'])
    await runningExperiment(stale)
    expect((await api('POST', `/v1/experiments/${harmful}/rollback`, { reason: 'guardrail error_rate regressed' })).status).toBe(200)
    expect((await api('POST', `/v1/experiments/${stale}/pause`, { reason: 'telemetry stale for 10m' })).status).toBe(200)
    await until('rolled_back and paused delivered', () => of(harmful).some((e) => e.type === 'rolled_back') && of(stale).some((e) => e.type === 'paused'))
    const rb = of(harmful).filter((e) => e.type === 'rolled_back')
    expect(rb).toHaveLength(1)
    expect(rb[0]).toMatchObject({ severity: 'page', link: `https://runway.example/experiments/${harmful}` })
    expect(of(harmful).map((e) => e.type)).toEqual(['queued', 'scheduled', 'started', 'rolled_back'])
    expect(badSignatures).toEqual([])
    // Slack got the page (the rollback), in Block Kit.
    await until('slack page', () => slack.some((m) => String(m.text).includes(harmful)))
    expect(slackProblems).toEqual([])
    if (!AM) return
    const alerts = await until('alertmanager alert', async () => (await amAlerts(harmful)).find((a) => a.labels.alertname === 'runway_rolled_back'))
    expect(alerts.labels).toMatchObject({ experiment: harmful, namespace: 'default', service: 'search', severity: 'page' })
    expect(alerts.labels.reason).toBeTruthy()
    expect(alerts.annotations.runbook_url).toContain(harmful)
    await until('paused alert', async () => (await amAlerts(stale)).some((a) => a.labels.alertname === 'runway_paused'))
    // The pause clears on resume; the rollback's alert on its own endsAt (RUNWAY_ALERT_ROLLBACK_HOLD=4s).
    expect((await api('POST', `/v1/experiments/${stale}/resume`, { reason: 'telemetry back' })).status).toBe(200)
    await until('paused alert resolved', async () => (await amAlerts(stale)).length === 0)
    await until('rollback alert resolved', async () => (await amAlerts(harmful)).length === 0)
  }, 120_000)

  it('a receiver outage, then kill -9 with undelivered events: every event arrives once, in order per experiment', async () => {
    receiverUp = false
    const a = `${prefix}-outage-a`
    const b = `${prefix}-outage-b`
    await runningExperiment(a)
    await runningExperiment(b)
    expect((await api('POST', `/v1/experiments/${a}/pause`, { reason: 'outage test' })).status).toBe(200)
    // Undelivered events are in the outbox and shown on /metrics.
    await until('backlog on /metrics', async () => /runway_notify_outbox_pending\{sink="webhook:[^"]+"\} ([1-9]\d*)/.test(await (await fetch(`${url}/metrics`)).text()))
    expect(of(a)).toHaveLength(0)
    // The API still answers while the receiver is down (the loop never blocks on it).
    expect((await api('GET', `/v1/experiments/${b}`)).status).toBe(200)
    proc!.kill('SIGKILL')
    await new Promise((r) => proc!.once('exit', r))
    receiverUp = true
    await serve()
    await until('events after restart', () => of(a).some((e) => e.type === 'paused') && of(b).some((e) => e.type === 'started'))
    for (const id of [a, b]) {
      const events = of(id)
      expect(new Set(events.map((e) => e.id)).size).toBe(events.length)
      const seqs = events.map((e) => Number(e.id.split('-').pop()))
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y))
    }
    expect(of(a).map((e) => e.type)).toEqual(['queued', 'scheduled', 'started', 'paused'])
    expect(of(b).map((e) => e.type)).toEqual(['queued', 'scheduled', 'started'])
  }, 180_000)
})

describe('incident mode', () => {
  const firing = (status: 'firing' | 'resolved') => ({
    version: '4', groupKey: '{}:{alertname="CheckoutErrors"}', truncatedAlerts: 0, status, receiver: 'runway',
    groupLabels: { alertname: 'CheckoutErrors' }, commonLabels: { alertname: 'CheckoutErrors', service: 'checkout' }, commonAnnotations: {},
    externalURL: 'http://alertmanager.local',
    alerts: [{ status, labels: { alertname: 'CheckoutErrors', service: 'checkout', severity: 'page' }, annotations: { summary: '5xx on checkout' },
      startsAt: new Date().toISOString(), endsAt: status === 'resolved' ? new Date().toISOString() : '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: 'f00dcafe' }],
  })

  it('refuses a payload that is not Alertmanager\'s, naming the unknown key', async () => {
    const bad = { ...firing('firing'), extra: 1 }
    const res = await api('POST', '/v1/alerts/alertmanager', bad)
    expect(res.status).toBe(400)
    expect(JSON.stringify(res.json)).toContain('extra')
  })

  it('a firing alert for checkout pauses running checkout experiments and holds a queued one; resolving lifts it', async () => {
    const running = `${prefix}-co-run`
    const other = `${prefix}-other`
    await runningExperiment(running, ['checkout'])
    await runningExperiment(other, ['search'])
    const res = await api('POST', '/v1/alerts/alertmanager', firing('firing'))
    expect(res.status).toBe(200)
    expect(res.json.alerts[0]).toMatchObject({ status: 'firing', paused: [running] })
    const r = await api('GET', `/v1/experiments/${running}`)
    expect(r.json.experiment.state).toBe('paused')
    expect((await api('GET', `/v1/experiments/${other}`)).json.experiment.state).toBe('running')
    expect(JSON.stringify(r.json.ledger)).toContain('incident: alert CheckoutErrors firing on service checkout')
    // A new checkout experiment waits, with the incident as its visible reason.
    const queued = `${prefix}-co-new`
    expect((await api('POST', '/v1/experiments', spec(queued, ['checkout']))).status).toBe(201)
    const held = await until('held by incident', async () => {
      const x = (await api('GET', `/v1/experiments/${queued}`)).json.experiment
      return x.state === 'queued' && JSON.stringify(x.blockedBy ?? '').includes('incident') ? x : null
    })
    expect(JSON.stringify(held.blockedBy)).toContain('CheckoutErrors')
    const open = await api('GET', '/v1/incidents')
    expect(open.json.open).toBe(1)
    expect(open.json.incidents[0]).toMatchObject({ service: 'checkout', status: 'firing', paused: [running] })
    // Incident mode is an event too: a signed ticket to the webhook and to Slack (not back to Alertmanager).
    const opened = await until('incident_opened delivered', () => received.find((e) => e.type === 'incident_opened' && e.id.startsWith('in-f00dcafe-')))
    expect(opened).toMatchObject({ severity: 'ticket', services: ['checkout'], reasons: [{ code: 'INCIDENT' }] })
    expect(JSON.stringify(opened.reasons)).toContain(running)
    await until('incident on slack', () => slack.some((m) => String(m.text).includes('incident_opened')))
    // Resolution: the hold lifts (the queued one starts), and policy autoResume (on by default) resumes what the incident paused.
    const done = await api('POST', '/v1/alerts/alertmanager', firing('resolved'))
    expect(done.json.alerts[0]).toMatchObject({ status: 'resolved', resumed: [running] })
    await until('queued starts after resolve', async () => (await api('GET', `/v1/experiments/${queued}`)).json.experiment.state === 'running')
    const after = await api('GET', `/v1/experiments/${running}`)
    expect(after.json.experiment.state).toBe('running')
    expect(JSON.stringify(after.json.ledger)).toContain('incident resolved: alert CheckoutErrors')
    expect((await api('GET', '/v1/incidents')).json.open).toBe(0)
    const lifted = await until('incident_resolved delivered', () => received.find((e) => e.type === 'incident_resolved' && e.id === opened.id.replace(/-opened$/, '-resolved')))
    expect(lifted.reasons[0]).toMatchObject({ code: 'INCIDENT_RESOLVED', numbers: { resumed: 1 } })
    expect(received.filter((e) => e.type.startsWith('incident_'))).toHaveLength(2)
    expect(badSignatures).toEqual([])
  }, 120_000)
})
