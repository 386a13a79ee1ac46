/**
 * The round loop shared by bench/ingest.ts and bench/ingest-http.ts (issue 16 item 1): paths take
 * turns chunk by chunk, the order rotated per chunk and per round, so a burst of load from the other
 * tenants of the machine falls on every path alike. Each path is timed from what it receives: the
 * inputs are prepared outside the clock.
 */
import { loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'

export interface RoundsSpec<P extends string> {
  paths: readonly P[]
  /** Events per path per round (each path's rows are counted against it after the round). */
  events: number
  /** Each path's chunks for round r. */
  prepare: (p: P, r: number) => unknown[]
  /** Sends chunk k of path p in round r. */
  send: (p: P, r: number, chunk: unknown, k: number) => Promise<void>
  /** How many events path p stored in round r. */
  count: (p: P, r: number) => Promise<number>
}

export interface PathSummary {
  path: string
  eventsPerSec: number
  runs: number[]
  ratioToEngine: number
  /** The main thread's busy µs per event (event-loop utilization over the path's calls). */
  jsUsPerEvent: number
}

/** One round; each path's rate over its own summed time, and its main-thread busy µs per event. */
async function round<P extends string>(s: RoundsSpec<P>, r: number): Promise<{ rate: Record<P, number>; jsUs: Record<P, number> }> {
  const { paths } = s
  const inputs = new Map(paths.map((p) => [p, s.prepare(p, r)]))
  const ms = new Map(paths.map((p) => [p, 0]))
  const busy = new Map(paths.map((p) => [p, 0]))
  const chunks = inputs.get(paths[0]!)!.length
  for (let k = 0; k < chunks; k++) {
    for (let j = 0; j < paths.length; j++) {
      const p = paths[(j + k + r + paths.length) % paths.length]!
      const elu = performance.eventLoopUtilization()
      const t = performance.now()
      await s.send(p, r, inputs.get(p)![k], k)
      ms.set(p, ms.get(p)! + performance.now() - t)
      busy.set(p, busy.get(p)! + performance.eventLoopUtilization(elu).active)
    }
  }
  for (const p of paths) {
    const stored = await s.count(p, r)
    if (stored !== s.events) throw new Error(`${p} stored ${stored} of ${s.events}`)
  }
  return {
    rate: Object.fromEntries(paths.map((p) => [p, (s.events / ms.get(p)!) * 1000])) as Record<P, number>,
    jsUs: Object.fromEntries(paths.map((p) => [p, (busy.get(p)! * 1000) / s.events])) as Record<P, number>,
  }
}

/** A warm-up round (-1), then `rounds` timed ones; medians per path, ratios to the `engine` path, and the load before and after each round. */
export async function runRounds<P extends string>(s: RoundsSpec<P>, rounds: number): Promise<{ load: number[]; summary: PathSummary[] }> {
  if (!s.paths.includes('engine' as P)) throw new Error("the engine path is the ratios' reference: keep it in the paths")
  await round(s, -1) // warm-up: engine start, JIT
  const rates = new Map(s.paths.map((p) => [p, [] as number[]]))
  const jsUs = new Map(s.paths.map((p) => [p, [] as number[]]))
  const load: number[] = []
  for (let r = 0; r < rounds; r++) {
    load.push(Number(loadavg()[0]!.toFixed(1)))
    const got = await round(s, r)
    for (const p of s.paths) {
      rates.get(p)!.push(got.rate[p])
      jsUs.get(p)!.push(got.jsUs[p])
    }
  }
  load.push(Number(loadavg()[0]!.toFixed(1)))
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const engine = median(rates.get('engine' as P)!)
  const summary = s.paths.map((p) => ({
    path: p,
    eventsPerSec: Math.round(median(rates.get(p)!)),
    runs: rates.get(p)!.map(Math.round),
    ratioToEngine: Number((median(rates.get(p)!) / engine).toFixed(2)),
    jsUsPerEvent: Number(median(jsUs.get(p)!).toFixed(2)),
  }))
  return { load, summary }
}
