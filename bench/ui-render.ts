/**
 * Time to first render of the web UI's experiment view with 30 days of data.
 *
 *   npx tsx bench/ui-render.ts [--runs 5]
 *
 * 1. Builds the data once into .cache/bench-ui-30d: bench/ui-30d.yaml's first 12 hours
 *    through the real loop (`runway simulate`: the experiment, its ledger and real
 *    verdicts), then bench/ui-30d-extend.ts writes the other 29.5 days inside the engine
 *    (424,800 events, verdicts every 15 minutes: 2,880 in all). Seconds, not the hour
 *    that simulating 30 days through the loop took.
 * 2. Serves it with the built CLI (`runway serve`, embedded, auth off, RUNWAY_ROLE=api so no
 *    evaluation runs against the wall clock meanwhile) — run `npm run build` first.
 * 3. Times the read routes the view calls, then opens /experiments/<id> in headless Debian
 *    chromium (playwright-core) `runs` times, each in a new tab with the HTTP cache cleared,
 *    and reads, in the page, the time from navigation start until every chart has drawn
 *    its canvas from its data (and the first contentful paint). Console errors fail the run.
 * Method and numbers: bench/README.md, "Web UI: time to first render".
 */
import { spawnSync } from 'node:child_process'
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { ROOT } from '../test/support/cli.js'
import { collectErrors, launchChromium, startServe } from '../test/e2e/ui-support.js'
import { extendTo30Days } from './ui-30d-extend.js'

const ID = 'pricing-page-30d'
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 5) || 5
const dataDir = join(ROOT, '.cache', 'bench-ui-30d', 'data')

if (!existsSync(join(dataDir, 'extended'))) {
  rmSync(dataDir, { recursive: true, force: true })
  let t = Date.now()
  console.log('simulating the first 12 hours of bench/ui-30d.yaml through the loop (once) …')
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/runway.js'), 'simulate', join(ROOT, 'bench/ui-30d.yaml'), '--data-dir', dataDir, '--json'], { stdio: ['ignore', 'ignore', 'inherit'] })
  if (r.status !== 0) throw new Error('simulation failed')
  console.log(`simulated in ${((Date.now() - t) / 1000).toFixed(0)} s`)
  t = Date.now()
  const x = await extendTo30Days(dataDir)
  writeFileSync(join(dataDir, 'extended'), JSON.stringify(x))
  console.log(`extended to 30 days inside the engine in ${((Date.now() - t) / 1000).toFixed(0)} s: ${x.events} events, ${x.verdicts} verdicts`)
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const load = () => `load ${loadavg()[0]!.toFixed(2)}`
const { url, proc } = await startServe(dataDir, { RUNWAY_ROLE: 'api', RUNWAY_ARCHIVE_AFTER: '3650d', RUNWAY_HOUSEKEEPING_INTERVAL: '1d' })
try {
  for (const path of [`/v1/experiments/${ID}`, `/v1/experiments/${ID}/verdicts`, `/v1/experiments/${ID}/exposures`, `/v1/experiments/${ID}/slis?metric=error_rate&window=1h`, `/v1/experiments/${ID}/interference`]) {
    const times: number[] = []
    let bytes = 0
    let body: any = null
    for (let i = 0; i < runs + 1; i++) {
      const t = performance.now()
      const res = await fetch(`${url}${path}`, { headers: { 'accept-encoding': 'identity' } })
      const text = await res.text()
      if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${text.slice(0, 300)}`)
      if (i > 0) times.push(performance.now() - t) // the first call warms the engine's caches
      bytes = text.length
      body = JSON.parse(text)
    }
    const extra = body.total !== undefined ? ` (${body.total} verdicts, ${body.verdicts.length} points, stride ${body.stride})` : body.series ? ` (${body.series.length} buckets of ${body.bucketMs / 1000}s)` : body.points ? ` (${body.points.length} points)` : ''
    console.log(`GET ${path.padEnd(60)} median ${median(times).toFixed(0).padStart(5)} ms  ${(bytes / 1024).toFixed(0).padStart(5)} KiB${extra}  (${load()})`)
  }

  const { browser, close } = await launchChromium()
  const errors: string[] = []
  try {
    const ttfr: number[] = []
    const fcp: number[] = []
    for (let i = 0; i < runs; i++) {
      const page = await browser.newPage()
      collectErrors(page, errors)
      await page.setViewportSize({ width: 1280, height: 800 })
      const cdp = await browser.newCDPSession(page)
      await cdp.send('Network.clearBrowserCache')
      await page.goto(`${url}/experiments/${ID}`)
      // Every chart of the view (two effect charts, exposures, SRM, the SLI charts) has drawn a canvas from a non-empty series.
      const ms = await page.waitForFunction(() => {
        const charts = [...document.querySelectorAll('figure.chart')]
        const drawn = charts.length >= 6 && charts.every((c) => Number(c.getAttribute('data-points')) > 0 && c.querySelector('canvas'))
        return drawn ? performance.now() : null
      }, null, { timeout: 60_000, polling: 'raf' }).then((h) => h.jsonValue() as Promise<number>, async (err: Error) => {
        const charts = await page.locator('figure.chart').evaluateAll((cs) => cs.map((c) => `${c.getAttribute('data-testid')}: ${c.getAttribute('data-points')} points, canvas ${Boolean(c.querySelector('canvas'))}`))
        throw new Error(`${err.message}\n${charts.join('\n')}\n${errors.join('\n')}`)
      })
      const paint = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null)
      ttfr.push(ms)
      if (paint !== null) fcp.push(paint)
      console.log(`run ${i + 1}: every chart drawn ${ms.toFixed(0)} ms after navigation start (first contentful paint ${paint?.toFixed(0) ?? 'n/a'} ms, ${load()})`)
      await page.close()
    }
    if (errors.length > 0) throw new Error(`console errors:\n${errors.join('\n')}`)
    console.log(`experiment view, 30 days: median ${median(ttfr).toFixed(0)} ms to every chart drawn, FCP median ${fcp.length ? median(fcp).toFixed(0) : 'n/a'} ms (${runs} runs, ${load()})`)
  } finally {
    await close()
  }
} finally {
  proc.kill('SIGTERM')
}
