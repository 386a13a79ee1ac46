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

/**
 * What a page does wrong for accessibility, checked in the page (WCAG 2.1 AA, formulas written
 * here, not taken from the UI): text contrast of every visible text against the first opaque
 * background behind it (4.5:1, 3:1 for large text; disabled controls exempt), a name for every
 * control and link, a label for every chart image, header cells in every table, one h1.
 */
export function accessibilityProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = []
    // The SQL blocks are closed <details>: open them so their text and buttons are audited too.
    for (const d of document.querySelectorAll('details')) d.open = true
    const shown = (el: Element) => el.checkVisibility({ visibilityProperty: true })
    const rgba = (c: string) => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null; const [r, g, b, a = 1] = m[1]!.split(/[ ,/]+/).filter(Boolean).map(Number); return { r: r!, g: g!, b: b!, a } }
    const lum = ({ r, g, b }: { r: number; g: number; b: number }) => { const f = (v: number) => { const s = v / 255; return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4 }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b) }
    const background = (el: Element | null): { r: number; g: number; b: number } => {
      for (let e = el; e; e = e.parentElement) { const c = rgba(getComputedStyle(e).backgroundColor); if (c && c.a >= 0.99) return c }
      return { r: 255, g: 255, b: 255 }
    }
    const describe = (el: Element) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.split(' ')[0]}` : ''} "${(el.textContent ?? '').trim().slice(0, 40)}"`
    for (const el of document.querySelectorAll('body *')) {
      const own = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && (n.textContent ?? '').trim() !== '')
      if (!own || !shown(el)) continue
      const style = getComputedStyle(el)
      if (el.closest('[disabled], .skip, noscript')) continue
      const fg = rgba(style.color)
      if (!fg) continue
      const bg = background(el)
      // A translucent text colour is blended over its background first.
      const blended = { r: fg.r * fg.a + bg.r * (1 - fg.a), g: fg.g * fg.a + bg.g * (1 - fg.a), b: fg.b * fg.a + bg.b * (1 - fg.a) }
      const [hi, lo] = [lum(blended), lum(bg)].sort((x, y) => y - x) as [number, number]
      const ratio = (hi + 0.05) / (lo + 0.05)
      const size = parseFloat(style.fontSize)
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700)
      if (ratio < (large ? 3 : 4.5)) problems.push(`contrast ${ratio.toFixed(2)}:1 ${describe(el)}`)
    }
    const named = (el: Element) => Boolean(el.getAttribute('aria-label')?.trim() || (el.getAttribute('aria-labelledby') && document.getElementById(el.getAttribute('aria-labelledby')!)) || (el as HTMLElement).innerText?.trim() || el.getAttribute('title')
      || (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`)) || el.closest('label'))
    for (const el of document.querySelectorAll('button, a[href], input:not([type=hidden]), textarea, select, summary')) if (shown(el) && !named(el)) problems.push(`no accessible name: ${describe(el)}`)
    for (const el of document.querySelectorAll('[role=img]')) if (!el.getAttribute('aria-label')?.trim()) problems.push(`image without a label: ${describe(el)}`)
    for (const t of document.querySelectorAll('table')) if (!t.querySelector('th')) problems.push(`table without header cells: ${describe(t)}`)
    if (document.querySelectorAll('h1').length !== 1) problems.push(`${document.querySelectorAll('h1').length} h1 headings`)
    return problems
  })
}
