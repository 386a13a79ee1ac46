import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { embeddedEnv, ROOT } from '../support/cli.js'
import { chRows, exited } from '../support/crash-helpers.js'
import { freePort } from '../support/serve.js'

/**
 * The ledger journal (src/adapters/warehouse/journaled-warehouse.ts) acknowledges an
 * enqueue once its rows are fdatasync'ed to <data>/ledger-journal and writes them to
 * chDB later. A real `kill -9` of `runway serve` mid-load must then lose nothing that
 * was acknowledged (201) and store nothing twice, once the next process has replayed
 * the journal. Checked only through the restarted server's HTTP API: this process
 * never opens chDB. Rounds accumulate on one data dir; the 20ms round makes the kill
 * likely to land during a flush (a segment inserted in part, or inserted but not yet
 * unlinked), which the replay's dedup tokens must absorb.
 */
const ROUNDS = [
  { flush: '60s', acks: 200 }, // acknowledged rows are all only in the journal at the kill
  { flush: '20ms', acks: 200 }, // the kill likely lands mid-flush
  { flush: '1ms', acks: 100 }, // flushing nearly all the time: a segment inserted in part or not yet unlinked
  { flush: '60s', acks: 150 }, // replay on top of a data dir that already went through one
]
const LOOPS = 4
const dir = mkdtempSync(join(tmpdir(), 'runway-crash-'))
const journal = join(dir, 'ledger-journal')
const children: Array<{ proc: ChildProcess; log: string }> = []
const acked = new Set<string>()
const attempted = new Set<string>()


const logs = () => children.map((c, i) => `--- server ${i}\n${c.log}`).join('\n')

/** Starts `runway serve` on the shared data dir and waits until it answers. */
async function serve(flush?: string, level = 'warn'): Promise<{ proc: ChildProcess; url: string; log: () => string }> {
  const port = await freePort()
  const env = { ...embeddedEnv(), RUNWAY_LOG_LEVEL: level, RUNWAY_DATA_DIR: dir, RUNWAY_PORT: String(port), RUNWAY_SCHEDULE_INTERVAL: '1h', ...(flush ? { RUNWAY_LEDGER_FLUSH: flush } : {}) }
  const proc = spawn(process.execPath, [`${ROOT}bin/runway.js`, 'serve'], { env, stdio: ['ignore', 'ignore', 'pipe'] })
  const child = { proc, log: '' }
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (child.log = (child.log + d).slice(-20_000)))
  children.push(child)
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 60_000
  while (!(await fetch(`${url}/healthz`).then((r) => r.ok, () => false))) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`server did not come up\n${logs()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  return { proc, url, log: () => child.log }
}


function spec(id: string, n: number) {
  return {
    id, layer: `crash-layer-${n % 5}`, owner: 'crash-test', hypothesis: 'B beats A',
    variants: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }],
    metrics: { primary: { name: 'conversion' }, guardrails: [{ name: 'error_rate', direction: 'decrease' }] },
  }
}

/** The lifecycle entries in the journal's segments (complete lines only, as the replay reads them). */
function journaledIds(): string[] {
  const ids: string[] = []
  for (const f of readdirSync(journal).filter((n) => n.endsWith('.ndjson'))) {
    const lines = readFileSync(join(journal, f), 'utf8').split('\n').slice(0, -1)
    for (const line of lines) {
      const e = JSON.parse(line) as { table: string; rows: Array<{ experiment_id?: string }> }
      if (e.table === 'lifecycle') ids.push(...e.rows.map((r) => r.experiment_id!))
    }
  }
  return ids
}

/** LOOPS clients enqueue until `target` acknowledgements (or 30 s), then SIGKILL the server with requests in flight. */
async function loadAndKill(round: number, proc: ChildProcess, url: string, target: number): Promise<string[]> {
  const mine: string[] = []
  const deadline = Date.now() + 30_000
  let killed = false
  const kill = () => {
    if (!killed) proc.kill('SIGKILL')
    killed = true
  }
  await Promise.all(
    Array.from({ length: LOOPS }, async (_, loop) => {
      for (let n = 0; !killed; n++) {
        const id = `crash-r${round}-l${loop}-${n}`
        attempted.add(id)
        const res = await fetch(`${url}/v1/experiments`, { method: 'POST', body: JSON.stringify(spec(id, n)), headers: { 'content-type': 'application/json' } }).catch(() => null)
        if (res === null) return // connection reset by the kill: not acknowledged, may or may not exist
        // A 201 status line is the acknowledgement, even if the kill cuts the body that follows.
        const body = await res.text().catch(() => '')
        if (res.status !== 201) kill() // stop the other loops too
        expect(res.status, body).toBe(201)
        mine.push(id)
        if (mine.length >= target || Date.now() > deadline) kill()
      }
    }),
  )
  await exited(proc)
  return mine
}


afterAll(async () => {
  for (const c of children) c.proc.kill('SIGKILL')
  await Promise.all(children.map((c) => exited(c.proc)))
  rmSync(dir, { recursive: true, force: true })
}, 30_000)

describe('ledger journal: kill -9 of runway serve mid-load', () => {
  it.each(ROUNDS.map((r, i) => ({ ...r, round: i + 1 })))('round $round (flush $flush): every acknowledged enqueue survives exactly once', async ({ round, flush, acks }) => {
    const load = await serve(flush)
    const mine = await loadAndKill(round, load.proc, load.url, acks)
    for (const id of mine) acked.add(id)
    expect(load.proc.signalCode).toBe('SIGKILL')
    expect(mine.length).toBeGreaterThanOrEqual(acks)

    // The rows the replay must write: without them this round would prove nothing about recovery.
    const inJournal = new Set(journaledIds())
    const ackedOnlyInJournal = mine.filter((id) => inJournal.has(id)).length
    console.log(`round ${round} (flush ${flush}): ${mine.length} acknowledged, ${ackedOnlyInJournal} of them in the journal at the kill (${inJournal.size} lifecycle entries journaled)`)
    // With a 60 s window nothing was flushed yet; with 20ms/1ms the count is only reported (a flush may just have emptied it).
    if (flush === '60s') expect(ackedOnlyInJournal).toBe(mine.length)

    const check = await serve(undefined, 'info') // default flush
    try {
      // Live state, rebuilt from the warehouse after the replay.
      const { experiments } = (await (await fetch(`${check.url}/v1/experiments`)).json()) as { experiments: Array<{ id: string; state: string }> }
      const listed = new Map(experiments.map((e) => [e.id, e.state]))
      expect(experiments.length).toBe(listed.size)
      expect([...acked].filter((id) => listed.get(id) !== 'queued').map((id) => `${id}: ${listed.get(id) ?? 'missing'}`), 'acknowledged but not queued after the restart').toEqual([])
      expect([...listed.keys()].filter((id) => !attempted.has(id))).toEqual([])

      // The warehouse itself: no entry twice (dedup of a replayed segment) and nothing acknowledged missing.
      for (const [table, key] of [['lifecycle', 'experiment_id'], ['ledger_heads', 'experiment_id'], ['experiments', 'id']] as const) {
        expect(await chRows(check.url, `SELECT ${key}, count() AS n FROM ${table} GROUP BY ${key} HAVING n > 1`), `${table} duplicates`).toEqual([])
      }
      const lifecycle = new Set((await chRows<{ experiment_id: string }>(check.url, 'SELECT DISTINCT experiment_id FROM lifecycle')).map((r) => r.experiment_id))
      const specs = new Set((await chRows<{ id: string }>(check.url, 'SELECT id FROM experiments FINAL')).map((r) => r.id))
      expect([...acked].filter((id) => lifecycle.has(id)).length).toBe(acked.size)
      expect([...acked].filter((id) => specs.has(id)).length).toBe(acked.size)
      expect(lifecycle.size).toBe(listed.size)

      const verify = (await (await fetch(`${check.url}/v1/audit/verify`)).json()) as { ok: boolean; problems: unknown[] }
      expect(verify.problems).toEqual([])
      expect(verify.ok).toBe(true)

      // Replayed segments are gone once written (polled: the check server's own writes, if any, wait up to its 250 ms window).
      const deadline = Date.now() + 3_000
      while (journaledIds().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
      // On failure, say what is left and when it was written, and what the server logged.
      const left = readdirSync(journal).map((f) => {
        const st = statSync(join(journal, f))
        const first = readFileSync(join(journal, f), 'utf8').split('\n')[0]!.slice(0, 300)
        return `${f} ${st.size} bytes, written ${Math.round(Date.now() - st.mtimeMs)} ms ago: ${first}`
      })
      expect(journaledIds(), `left in the journal:\n${left.join('\n')}\n--- check server log\n${check.log()}`).toEqual([])
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${logs()}`)
    } finally {
      check.proc.kill('SIGTERM')
      await exited(check.proc)
    }
  }, 120_000)
})
