import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { embeddedEnv, ROOT } from '../support/cli.js'
import { chRows, exited } from '../support/crash-helpers.js'
import { freePort } from '../support/serve.js'
import { tempDirs } from '../support/temp-dir.js'
import { waitFor } from '../support/wait.js'

/**
 * The events journal (RUNWAY_EVENTS_JOURNAL=on, src/adapters/warehouse/events-journal.ts)
 * answers an ingest batch once it is fdatasync'ed to <data>/events-journal and writes chDB
 * later. A real `kill -9` of `runway serve` under many concurrent small batches must lose no
 * acknowledged event and store none twice, once the next process has replayed the journal.
 * Checked only through the restarted server's HTTP API (this process never opens chDB).
 * Rounds accumulate on one data dir. With a 1 ms flush the kill waits for a moment when the
 * journal holds two segments: one sealed and being inserted, one taking new batches (mid-flush).
 */
const ROUNDS = [
  { flush: '60s', acks: 1_500, midFlush: false }, // every acknowledged event is only in the journal at the kill
  { flush: '1ms', acks: 1_500, midFlush: true }, // the kill lands while a segment is being inserted
  { flush: '20ms', acks: 1_000, midFlush: false }, // flushes and appends interleaved, on top of earlier replays
]
const LOOPS = 8
const SIZE = 20
const EXP = 'ej-crash'
const dir = tempDirs('runway-events-crash-')()
const journal = join(dir, 'events-journal')
const children: Array<{ proc: ChildProcess; log: string }> = []
const acked = new Set<string>()
const attempted = new Set<string>()
const ackedBodies: string[] = []


const logs = () => children.map((c, i) => `--- server ${i}\n${c.log}`).join('\n').slice(-20_000)

/** Starts `runway serve` with the events journal on, on the shared data dir, and waits until it answers. */
async function serve(flush?: string): Promise<{ proc: ChildProcess; url: string }> {
  const port = await freePort()
  const env = { ...embeddedEnv(), RUNWAY_LOG_LEVEL: 'warn', RUNWAY_DATA_DIR: dir, RUNWAY_PORT: String(port), RUNWAY_SCHEDULE_INTERVAL: '300ms', RUNWAY_EVENTS_JOURNAL: 'on', ...(flush ? { RUNWAY_EVENTS_FLUSH: flush } : {}) }
  const proc = spawn(process.execPath, [`${ROOT}bin/runway.js`, 'serve'], { env, stdio: ['ignore', 'ignore', 'pipe'] })
  const child = { proc, log: '' }
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (child.log = (child.log + d).slice(-20_000)))
  children.push(child)
  const url = `http://127.0.0.1:${port}`
  await waitFor(() => {
    if (proc.exitCode !== null) throw new Error(`server exited (${proc.exitCode})`)
    return fetch(`${url}/healthz`).then((r) => r.ok, () => false)
  }, { what: 'runway serve /healthz', timeoutMs: 60_000, detail: logs })
  return { proc, url }
}

const body = (ids: string[]) => ids.map((eventId, k) => JSON.stringify({ eventId, ts: Date.now() - 60_000, experimentId: EXP, variant: k % 2 ? 'treatment' : 'control', unitId: `u-${k}`, metric: 'conversion', value: k % 2 })).join('\n')
const post = (url: string, text: string) => fetch(`${url}/v1/events`, { method: 'POST', body: text, headers: { 'content-type': 'application/x-ndjson' } })

/** Segments in the journal now (complete or not). */
const segments = () => (existsSync(journal) ? readdirSync(journal).filter((f) => f.endsWith('.ndjson')) : [])
/** Event ids in the journal's segments (text entries: one events_in line per event). */
const journaledIds = () => new Set(segments().flatMap((f) => [...readFileSync(join(journal, f), 'utf8').matchAll(/"eventId":"([^"]+)"/g)].map((m) => m[1]!)))

/** LOOPS clients send SIZE-event batches until `target` events are acknowledged, then (mid-flush if asked) SIGKILL the server with batches in flight. */
async function loadAndKill(round: number, proc: ChildProcess, url: string, target: number, midFlush: boolean): Promise<string[]> {
  const mine: string[] = []
  let killed = false
  const kill = () => {
    if (!killed) proc.kill('SIGKILL')
    killed = true
  }
  const killer = (async () => {
    await waitFor(() => mine.length >= target || killed, { what: `${target} events acknowledged`, timeoutMs: 60_000, detail: logs })
    // Mid-flush: a sealed segment is still on disk while its insert runs, beside the active one.
    if (midFlush) await waitFor(() => killed || segments().length >= 2, { what: 'two journal segments (a flush in progress)', timeoutMs: 30_000, intervalMs: 1, detail: logs })
    kill()
  })()
  await Promise.all(
    Array.from({ length: LOOPS }, async (_, loop) => {
      for (let n = 0; !killed; n++) {
        const ids = Array.from({ length: SIZE }, (_, k) => `r${round}-l${loop}-${n}-${k}`)
        for (const id of ids) attempted.add(id)
        const text = body(ids)
        const res = await post(url, text).catch(() => null)
        if (res === null) return // connection reset by the kill: not acknowledged, may or may not be stored
        const answer = await res.text().catch(() => null)
        if (answer === null) return // cut by the kill before the answer was read
        if (res.status !== 200) kill()
        expect(res.status, answer).toBe(200)
        expect((JSON.parse(answer) as { accepted: number }).accepted).toBe(SIZE)
        mine.push(...ids)
        ackedBodies.push(text)
      }
    }),
  )
  await killer
  await exited(proc)
  return mine
}


afterAll(async () => {
  for (const c of children) c.proc.kill('SIGKILL')
  await Promise.all(children.map((c) => exited(c.proc)))
}, 30_000)

describe('events journal: kill -9 of runway serve under concurrent small batches', () => {
  it('starts an experiment to send to', async () => {
    const s = await serve()
    try {
      const spec = {
        id: EXP, layer: 'ej-layer', owner: 'crash-test', hypothesis: 'B beats A',
        variants: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }],
        metrics: { primary: { name: 'conversion' }, guardrails: [{ name: 'error_rate', direction: 'decrease' }] },
      }
      const res = await fetch(`${s.url}/v1/experiments`, { method: 'POST', body: JSON.stringify(spec), headers: { 'content-type': 'application/json' } })
      expect(res.status, await res.text()).toBe(201)
      await waitFor(async () => ((await (await fetch(`${s.url}/v1/experiments/${EXP}`)).json()) as { experiment: { state: string } }).experiment.state === 'running', { what: `${EXP} running`, timeoutMs: 30_000, detail: logs })
    } finally {
      s.proc.kill('SIGTERM')
      await exited(s.proc)
    }
  }, 120_000)

  it.each(ROUNDS.map((r, i) => ({ ...r, round: i + 1 })))('round $round (flush $flush): every acknowledged event is stored exactly once after the restart', async ({ round, flush, acks, midFlush }) => {
    const load = await serve(flush)
    const mine = await loadAndKill(round, load.proc, load.url, acks, midFlush)
    for (const id of mine) acked.add(id)
    expect(load.proc.signalCode).toBe('SIGKILL')
    expect(mine.length).toBeGreaterThanOrEqual(acks)
    const inJournal = journaledIds()
    const onlyInJournal = mine.filter((id) => inJournal.has(id)).length
    console.log(`round ${round} (flush ${flush}): ${mine.length} events acknowledged, ${onlyInJournal} of them in the journal at the kill, ${segments().length} segment(s) left`)
    // With a 60 s window nothing was flushed: the replay has every acknowledged event to write.
    if (flush === '60s') expect(onlyInJournal).toBe(mine.length)

    const check = await serve()
    try {
      expect(await chRows(check.url, `SELECT event_id, count() AS n FROM events WHERE experiment_id = '${EXP}' GROUP BY event_id HAVING n > 1 LIMIT 10`), 'events stored twice').toEqual([])
      const stored = new Set((await chRows<{ event_id: string }>(check.url, `SELECT event_id FROM events WHERE experiment_id = '${EXP}'`)).map((r) => r.event_id))
      expect([...acked].filter((id) => !stored.has(id)).slice(0, 10), 'acknowledged but missing after the restart').toEqual([])
      expect([...stored].filter((id) => !attempted.has(id)).slice(0, 10)).toEqual([])
      // A batch acknowledged before the kill, sent again to the new process: answered, and stored once.
      const retry = ackedBodies[Math.floor(ackedBodies.length / 2)]!
      const res = await post(check.url, retry)
      expect(res.status).toBe(200)
      expect((JSON.parse(await res.text()) as { accepted: number }).accepted).toBe(SIZE)
      const [c] = await chRows<{ n: string; d: string }>(check.url, `SELECT count() AS n, uniqExact(event_id) AS d FROM events WHERE experiment_id = '${EXP}'`)
      expect(Number(c!.n)).toBe(stored.size)
      expect(Number(c!.d)).toBe(stored.size)
      // The replayed segments are gone once written.
      await waitFor(() => journaledIds().size === 0, { what: 'the journal written and emptied', timeoutMs: 10_000, detail: logs })
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${logs()}`)
    } finally {
      check.proc.kill('SIGTERM')
      await exited(check.proc)
    }
  }, 180_000)
})
