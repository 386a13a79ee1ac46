import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
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
