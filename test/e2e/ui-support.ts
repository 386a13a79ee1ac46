import { type ChildProcess, spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
import { createRng } from '../../src/stats/random.js'
import { ROOT, embeddedEnv } from '../support/cli.js'

/** Debian's chromium (scripts/setup-browser.sh installs it); nothing downloads a browser. */
export const CHROMIUM = '/usr/bin/chromium'
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'ui')
export const VIEWPORTS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } } as const

/** One persistent profile in a fresh --user-data-dir (Playwright takes it as launchPersistentContext's first argument). */
export async function launchChromium(): Promise<{ browser: BrowserContext; close: () => Promise<void> }> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup-browser.sh (npm test does)`)
  const profile = mkdtempSync(join(tmpdir(), 'runway-chromium-'))
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  return { browser, close: async () => { await browser.close(); rmSync(profile, { recursive: true, force: true }) } }
}

/** Console errors and uncaught exceptions of a page, collected for a final assertion. */
export function collectErrors(page: Page, into: string[]): void {
  page.on('console', (m) => { if (m.type() === 'error') into.push(`${page.url()}: console: ${m.text()}`) })
  page.on('pageerror', (e) => into.push(`${page.url()}: pageerror: ${e.message}`))
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true })
  return join(ARTIFACTS, name)
}

/**
 * With UPDATE_SCREENSHOTS=1, copies an artifact into docs/ (the README's picture of the
 * experiment view is one): screenshots always go to test-artifacts/ui, the committed copy
 * changes only on request, so an ordinary test run leaves the work tree clean.
 */
export function publishScreenshot(artifact: string, docsName: string): boolean {
  if (process.env.UPDATE_SCREENSHOTS !== '1') return false
  copyFileSync(artifactPath(artifact), join(ROOT, 'docs', docsName))
  return true
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

/** `runway serve` (the built CLI) on a data directory; resolves once healthy. */
export async function startServe(dataDir: string, env: Record<string, string> = {}): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const proc = spawn(process.execPath, [`${ROOT}bin/runway.js`, 'serve', '--data-dir', dataDir, '--port', String(port)], {
    env: { ...embeddedEnv(), RUNWAY_LOG_LEVEL: 'warn', ...env },
    stdio: 'ignore',
  })
  for (let i = 0; i < 300; i++) {
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) return { url, proc }
    await new Promise((r) => setTimeout(r, 100))
  }
  proc.kill('SIGKILL')
  throw new Error('runway serve did not become healthy in 30 s')
}

export async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

export type Api = (path: string, token: string, init?: RequestInit) => Promise<{ status: number; body: any }>

/**
 * Two running experiments in different layers of one namespace that see the same units,
 * through the API: each unit is logged under the variant the gate gives it in each (so no
 * misrouting pause), and its error rate is 0.10, or 0.25 when it is in the same arm of both
 * (treatment·treatment or control·control). The interaction Δ is +0.3 while neither
 * experiment's own effect moves (both marginals cancel), so the evaluation keeps them
 * running and the interference job flags the pair.
 */
export async function seedOverlap(api: Api, token: string, ids: readonly [string, string], spec: (id: string, layer: string) => Record<string, unknown>, units = 2000): Promise<void> {
  for (const [i, id] of ids.entries()) {
    const r = await api('/v1/experiments', token, { method: 'POST', body: JSON.stringify(spec(id, `ix-${i}`)) })
    if (r.status !== 201) throw new Error(`enqueue ${id}: ${r.status} ${JSON.stringify(r.body)}`)
  }
  for (const id of ids) await until(`${id} running`, async () => (await api(`/v1/experiments/${id}`, token)).body.experiment?.state === 'running')
  const unitIds = Array.from({ length: units }, (_, u) => `shared-${u}`)
  const arms: Array<Map<string, string>> = []
  for (const id of ids) {
    const r = await api('/v1/assign', token, { method: 'POST', body: JSON.stringify({ experimentId: id, units: unitIds }) })
    if (r.status !== 200) throw new Error(`assign ${id}: ${r.status} ${JSON.stringify(r.body)}`)
    arms.push(new Map((r.body.assignments as Array<{ unitId: string; variant: string | null }>).map((a) => [a.unitId, a.variant ?? ''])))
  }
  const random = createRng({ seed: 12 })
  const t0 = Date.now()
  const lines: string[] = []
  for (const [u, unit] of unitIds.entries()) {
    const [a, b] = [arms[0]!.get(unit)!, arms[1]!.get(unit)!]
    if (!a || !b) throw new Error(`${unit} is not exposed in both experiments`)
    const error = random.uniform() < 0.1 + (a === b ? 0.15 : 0)
    const conversion = random.uniform() < 0.3
    for (const [k, id] of ids.entries()) {
      const variant = k === 0 ? a : b
      const ts = t0 + (u % 600) * 100
      lines.push(JSON.stringify({ eventId: `${id}-${unit}-e`, ts, experimentId: id, variant, unitId: unit, metric: 'error_rate', outcome: error }))
      lines.push(JSON.stringify({ eventId: `${id}-${unit}-c`, ts, experimentId: id, variant, unitId: unit, metric: 'conversion', outcome: conversion }))
    }
  }
  const r = await api('/v1/events', token, { method: 'POST', body: lines.join('\n'), headers: { 'content-type': 'application/x-ndjson' } })
  if (r.status !== 200 || r.body.rejected !== 0) throw new Error(`events: ${r.status} ${JSON.stringify(r.body)}`)
}
