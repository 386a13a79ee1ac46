import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../support/cli.js'
import { specBody } from '../support/embedded.js'
import { accessibilityProblems, artifactPath, collectErrors, launchChromium, publishScreenshot, seedOverlap, startServe, until, VIEWPORTS } from './ui-support.js'

/**
 * The web UI in headless Chromium against `runway serve` (built CLI, RUNWAY_AUTH=required)
 * on the warehouse of the demo scenario (simulated through the real loop), plus
 * experiments enqueued through the API: one running, one waiting in its layer, and two
 * running in other layers of the namespace over shared units, for the interference job
 * (every 2 s here) to pair.
 */
const OVERLAP = ['ui-overlap-a', 'ui-overlap-b'] as const
const dir = mkdtempSync(join(tmpdir(), 'runway-ui-'))
const dataDir = join(dir, 'data')
let server: ChildProcess | undefined
let url = ''
let browser: BrowserContext
let closeBrowser = async () => {}
const tokens = { admin: '', operator: '', viewer: '' }
const errors: string[] = []

const api = async (path: string, token: string, init: RequestInit = {}) => {
  const res = await fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) } })
  return { status: res.status, body: (await res.json()) as any }
}

/** A new tab at a viewport size, signed in with `token` (sessionStorage is per tab) or not. */
async function tab(token: string | null, size: keyof typeof VIEWPORTS): Promise<Page> {
  const page = await browser.newPage()
  await page.setViewportSize(VIEWPORTS[size])
  if (token) await page.addInitScript((t) => sessionStorage.setItem('runway.token', t), token)
  collectErrors(page, errors)
  return page
}

beforeAll(async () => {
  const sim = await runCli(['simulate', 'scenarios/demo.yaml', '--data-dir', dataDir, '--json'], { timeoutMs: 170_000 })
  expect(sim.code, sim.stderr).toBe(0)
  const created = await runCli(['token', 'create', '--role', 'admin', '--namespace', '*', '--name', 'root', '--data-dir', dataDir])
  expect(created.code, created.stderr).toBe(0)
  tokens.admin = created.stdout.trim()
  // The demo ran in January 2026 on a simulated clock: keep housekeeping from archiving it on the wall clock.
  ;({ url, proc: server } = await startServe(dataDir, { RUNWAY_AUTH: 'required', RUNWAY_ARCHIVE_AFTER: '3650d', RUNWAY_HOUSEKEEPING_INTERVAL: '1d', RUNWAY_SCHEDULE_INTERVAL: '200ms', RUNWAY_INTERFERENCE_INTERVAL: '2s' }))
  for (const [name, role] of [['operator', 'experimenter'], ['viewer', 'viewer']] as const) {
    const r = await api('/v1/tokens', tokens.admin, { method: 'POST', body: JSON.stringify({ name, role, namespace: '*' }) })
    expect(r.status, JSON.stringify(r.body)).toBe(201)
    tokens[name] = r.body.token
  }
  for (const id of ['ui-live', 'ui-waiting']) {
    const r = await api('/v1/experiments', tokens.operator, { method: 'POST', body: JSON.stringify(specBody({ id, layer: 'ui-layer', trafficShare: 100 })) })
    expect(r.status, JSON.stringify(r.body)).toBe(201)
  }
  await until('ui-live running', async () => (await api('/v1/experiments/ui-live', tokens.admin)).body.experiment?.state === 'running')
  await seedOverlap(api, tokens.admin, OVERLAP, (id, layer) => specBody({ id, layer, trafficShare: 100, rollout: { steps: [{ exposure: 100, minDuration: '1h' }] } }))
  ;({ browser, close: closeBrowser } = await launchChromium())
}, 240_000)

afterAll(async () => {
  await closeBrowser()
  server?.kill('SIGTERM')
  rmSync(dir, { recursive: true, force: true })
})

describe('web UI', () => {
  it('asks for a token, then shows the on-call view with every experiment that is not archived', async () => {
    const { body } = await api('/v1/experiments', tokens.admin)
    const ids = (body.experiments as Array<{ id: string; state: string }>).filter((e) => e.state !== 'archived').map((e) => e.id).sort()
    expect(ids).toEqual(['checkout-redesign', 'recs-carousel', 'search-ranker-v2', 'ui-live', ...OVERLAP, 'ui-waiting'].sort())
    for (const size of ['desktop', 'phone'] as const) {
      const page = await tab(null, size)
      await page.goto(`${url}/`)
      await page.getByLabel('API token').fill(tokens.operator)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.getByTestId('view-oncall').waitFor()
      await page.locator('[data-testid=experiments] tbody tr').nth(ids.length - 1).waitFor()
      const shown = (await page.locator('[data-testid=experiments] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-experiment')))).sort()
      expect(shown).toEqual(ids)
      // The rollback with its numbers, the stale-telemetry pause, and the waiting experiment with its reason.
      await expect.poll(() => page.getByTestId('recent').innerText()).toContain('GUARDRAIL_HARM error_rate/ranker-v2')
      expect(await page.getByTestId('attention').innerText()).toContain('telemetry stale')
      expect(await page.getByTestId('queue').innerText()).toMatch(/ui-waiting[\s\S]*ui-layer/)
      expect(await page.evaluate(() => sessionStorage.getItem('runway.token'))).toBe(tokens.operator)
      expect(await page.evaluate(() => localStorage.length)).toBe(0)
      await page.screenshot({ path: artifactPath(`oncall-${size}.png`), fullPage: true })
      await page.close()
    }
  })

  it('the executive view charts the ended experiments from the API', async () => {
    const { body } = await api('/v1/experiments', tokens.admin)
    const ended = (body.experiments as Array<{ state: string; endedAt: string | null }>).filter((e) => ['completed', 'rolled_back', 'cancelled', 'expired', 'rejected'].includes(e.state) && e.endedAt)
    expect(ended.length).toBe(2)
    for (const size of ['desktop', 'phone'] as const) {
      const page = await tab(tokens.viewer, size)
      await page.goto(`${url}/exec`)
      await page.locator('[data-testid=chart-results] canvas').first().waitFor()
      expect(Number(await page.getByTestId('chart-results').getAttribute('data-points'))).toBe(ended.length)
      expect(await page.getByTestId('ended').innerText()).toMatch(/search-ranker-v2[\s\S]*stopped/)
      await expect.poll(() => page.getByTestId('top-traffic').locator('li').count()).toBeGreaterThanOrEqual(3)
      expect(await page.getByTestId('top-risk').innerText()).toContain('search-ranker-v2')
      await page.screenshot({ path: artifactPath(`exec-${size}.png`), fullPage: true })
      await page.close()
    }
  })

  it('the experiment view draws each series from as many points as the API returns', async () => {
    const verdicts = (await api('/v1/experiments/search-ranker-v2/verdicts', tokens.admin)).body
    const withGuardrail = (verdicts.verdicts as Array<{ evidence: { comparisons: Array<{ metric: string; variant: string }> } | null }>).filter((v) => v.evidence?.comparisons.some((c) => c.metric === 'error_rate' && c.variant === 'ranker-v2'))
    expect(withGuardrail.length).toBeGreaterThan(5)
    const exposures = (await api('/v1/experiments/search-ranker-v2/exposures', tokens.admin)).body
    expect(exposures.series.length).toBeGreaterThan(5)
    // The SLI panel asks for 5-minute buckets when the run spans a day or less (sliWindow in ui/src/views/experiment-slis.ts).
    const { experiment } = (await api('/v1/experiments/search-ranker-v2', tokens.admin)).body
    const window = Date.parse(experiment.endedAt) - Date.parse(experiment.startedAt) <= 86_400_000 ? '5m' : '1h'
    const slis = (await api(`/v1/experiments/search-ranker-v2/slis?metric=error_rate&window=${window}`, tokens.admin)).body
    const sliBuckets = new Set((slis.points as Array<{ bucketMs: number }>).map((p) => p.bucketMs)).size
    expect(sliBuckets).toBeGreaterThan(5)
    for (const size of ['desktop', 'phone'] as const) {
      const page = await tab(tokens.viewer, size)
      await page.goto(`${url}/experiments/search-ranker-v2`)
      const effect = page.getByTestId('chart-effect-error_rate-ranker-v2')
      await effect.locator('canvas').waitFor()
      expect(Number(await effect.getAttribute('data-points'))).toBe(withGuardrail.length)
      const exp = page.getByTestId('chart-exposures')
      await exp.locator('canvas').waitFor()
      expect(Number(await exp.getAttribute('data-points'))).toBe(exposures.series.length)
      expect(await page.getByTestId('guardrail-error_rate-ranker-v2').innerText()).toContain('harm p=')
      expect(await page.getByTestId('timeline').innerText()).toContain('rollback: error_rate')
      expect(await page.getByTestId('verdicts').innerText()).toContain('GUARDRAIL_HARM')
      await expect.poll(() => page.getByTestId('audit-status').innerText()).toContain('chain intact')
      // The server has the SLI route: the panel charts the demo's telemetry, one x per bucket the API returns.
      expect(await page.getByTestId('na-slis').count()).toBe(0)
      const sli = page.getByTestId('chart-sli-error_rate')
      await sli.locator('canvas').waitFor()
      expect(Number(await sli.getAttribute('data-points'))).toBe(sliBuckets)
      // error_rate is 0/1 per event: charted as a rate per variant, named in uPlot's legend.
      expect(await sli.locator('.u-legend').innerText()).toContain('ranker-v2 rate')
      // The demo runs no interference job: the panel says so instead of an empty table.
      expect(await page.getByTestId('na-interference').count()).toBe(0)
      await page.getByTestId('interference-none').waitFor()
      expect(await page.getByTestId('spec-yaml').innerText()).toContain('id: search-ranker-v2')
      expect(await page.getByTestId('result').innerText()).toContain('stopped')
      // A viewer sees no action buttons.
      expect(await page.locator('[data-action]').count()).toBe(0)
      await page.screenshot({ path: artifactPath(`experiment-${size}.png`), fullPage: true })
      // The README's picture (docs/ui-experiment.png), refreshed with UPDATE_SCREENSHOTS=1.
      if (size === 'desktop') publishScreenshot('experiment-desktop.png', 'ui-experiment.png')
      await page.close()
    }
  })

  it('the experiment view lists the interference job’s rows for its pairs, as the API gives them', async () => {
    type Row = { a: string; b: string; kind: string; metric: string; units: number; status: string }
    // The job runs every 2 s: wait for a run over the pair after its events were stored.
    const answer = await until('an interference run over the seeded pair', async () => {
      const { body } = await api(`/v1/experiments/${OVERLAP[0]}/interference`, tokens.admin)
      const pair = (body.pairs as Array<{ a: string; b: string; rows: Row[] }>).find((p) => [p.a, p.b].includes(OVERLAP[1]))
      return pair?.rows.some((r) => r.kind === 'interaction' && r.metric === 'error_rate' && r.units === 2000) ? body : null
    }, 60_000)
    const rows = (answer.pairs as Array<{ rows: Row[] }>).flatMap((p) => p.rows)
    const errorRow = rows.find((r) => r.kind === 'interaction' && r.metric === 'error_rate' && [r.a, r.b].includes(OVERLAP[1]))!
    expect(errorRow.status).toBe('flagged')
    const page = await tab(tokens.viewer, 'desktop')
    await page.goto(`${url}/experiments/${OVERLAP[0]}`)
    const table = page.getByTestId('interference')
    await table.locator('tbody tr').nth(rows.length - 1).waitFor()
    const shown = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => ({ other: tr.getAttribute('data-pair'), kind: tr.getAttribute('data-kind'), metric: tr.getAttribute('data-metric'), cells: [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '') })))
    expect(shown.map((r) => [r.other, r.kind, r.metric])).toEqual(rows.map((r) => [r.a === OVERLAP[0] ? r.b : r.a, r.kind, r.metric]))
    // Units and status as the API gives them (the job's numbers on the same data do not change between runs).
    expect(shown.map((r) => [r.cells[2]!.replace(/,/g, ''), r.cells[6]!.split(' ')[0]])).toEqual(rows.map((r) => [String(r.units), r.status]))
    const flagged = shown.find((r) => r.other === OVERLAP[1] && r.kind === 'interaction' && r.metric === 'error_rate')!
    expect(flagged.cells[6]).toContain('flagged')
    await page.screenshot({ path: artifactPath('experiment-interference-desktop.png'), fullPage: true })
    await page.close()
  })

  it('a pause with a reason from the UI reaches the ledger under the signed-in person', async () => {
    const page = await tab(tokens.operator, 'desktop')
    await page.goto(`${url}/experiments/ui-live`)
    // By keyboard only: the button opens the dialog, focus lands in the reason, Tab reaches the submit button.
    await page.locator('[data-action=pause]').focus()
    await page.keyboard.press('Enter')
    const dialog = page.getByRole('dialog')
    await dialog.waitFor()
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('act-reason')
    await page.keyboard.type('paused from the UI test: checking a dashboard')
    await page.keyboard.press('Tab')
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Pause')
    await page.keyboard.press('Enter')
    const entry = await until('the pause on the ledger', async () => {
      const { body } = await api('/v1/experiments/ui-live', tokens.admin)
      return (body.ledger as Array<{ to: string; reason: string; actor: { type: string; id: string } }>).find((l) => l.to === 'paused')
    })
    expect(entry).toMatchObject({ reason: 'pause: paused from the UI test: checking a dashboard', actor: { type: 'person', id: 'operator' } })
    await page.locator('[data-action=resume]').waitFor()
    await page.close()
  })

  it('a viewer sees no action buttons, and the API refuses the action anyway', async () => {
    const page = await tab(tokens.viewer, 'desktop')
    await page.goto(`${url}/experiments/ui-live`)
    await page.getByTestId('timeline').waitFor()
    expect(await page.locator('[data-action]').count()).toBe(0)
    await page.close()
    const refused = await api('/v1/experiments/ui-live/resume', tokens.viewer, { method: 'POST', body: JSON.stringify({ reason: 'viewer tries' }) })
    expect(refused.status).toBe(403)
    expect((await api('/v1/experiments/ui-live', tokens.admin)).body.experiment.state).toBe('paused')
  })

  it('each view at both sizes: the skip link is the first Tab stop and leads to the content; contrast, names and labels hold', async () => {
    const views = [['/', 'view-oncall'], ['/exec', 'view-exec'], [`/experiments/search-ranker-v2`, 'view-experiment'], [`/experiments/${OVERLAP[0]}`, 'view-experiment']] as const
    for (const size of ['desktop', 'phone'] as const) {
      for (const [path, view] of views) {
        const page = await tab(tokens.operator, size)
        await page.goto(`${url}${path}`)
        await page.getByTestId(view).waitFor()
        // Wait for the panels to load, so the audit sees their content and not "loading…".
        await expect.poll(() => page.locator('text=loading…').count()).toBe(0)
        await page.keyboard.press('Tab')
        expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content')
        await page.keyboard.press('Enter')
        await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('main')
        expect(await accessibilityProblems(page), `${path} at ${size}`).toEqual([])
        // The layout reflows: nothing wider than the viewport but the tables' own scrolling wrappers.
        expect(await page.evaluate(() => document.documentElement.scrollWidth), `${path} at ${size}`).toBeLessThanOrEqual(VIEWPORTS[size].width)
        await page.close()
      }
    }
  })

  it('logged no console error in any page', () => {
    expect(errors).toEqual([])
  })
})
