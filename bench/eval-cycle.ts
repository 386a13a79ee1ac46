/**
 * Benchmark (issue 16 item 3): one full evaluation cycle of every running experiment as the
 * evaluate-cycle job runs it (EvaluateService.evaluateMany: readEvaluationBatch — at most nine
 * queries — plus the interference-flags query, decide() for each, one verdict insert, publish),
 * against one experiment at a time (EvaluateService.evaluate(id): the same SQL with one record,
 * what a CLI/API caller gets), on the embedded warehouse with events generated inside the engine
 * (INSERT … SELECT FROM numbers() into `events`; its unit_agg / sli_minute projections are
 * built by the insert as for ingested batches, and unit_metrics is the view over them).
 *
 *   npx tsx bench/eval-cycle.ts --events 1000000 --experiments 10,100,1000 --per-experiment-max 100 [--oracle]
 *
 * --oracle also runs every query of the cycle's plan with the SQL text it replaced
 * (test/fixtures/sql-oracle/), after the cycle, and prints those times: before and after in one run.
 *
 * One-at-a-time is run on at most --per-experiment-max experiments of a size and scaled to the
 * size linearly (its cost is per experiment), marked "extrapolated" in the output. The insert
 * time of each size is printed on its own line before the cycle runs.
 *
 *   npx tsx bench/eval-cycle.ts --events 10000000 --experiments 1000 --incremental [--increment 0.01] [--rounds 2] [--check]
 *
 * --incremental runs the cycle as the evaluate-cycle job does by default (RUNWAY_EVAL_INCREMENTAL: an
 * IncrementalEvaluationReader kept across cycles): a first cycle (full bases) over the N events
 * received at T, then --rounds times: a further --increment × N events generated in the engine
 * (received at T + k min, ts in the 6h before it, on unit ids the base already has in every experiment)
 * and the next cycle, timed alone.
 * Each cycle prints its per-query ms, seconds, the peak RSS sampled during it and maxRSS so far.
 * --check also runs a full read (readEvaluationBatch) after each cycle and counts the experiments
 * whose verdict evidence differs beyond 1e-9 relative, and whose decision or reason codes differ
 * (--check-last: after the last round only). One-at-a-time is not run in this mode.
 *
 *   nice -n 19 npx tsx bench/eval-cycle.ts --events 100000000 --experiments 1000 --data-dir /work/bench-data/e100m --generate-only
 *   flock /tmp/bench.lock npx tsx bench/eval-cycle.ts --events 100000000 --experiments 1000 --data-dir /work/bench-data/e100m --incremental
 *
 * --data-dir DIR keeps the generated N events (one size only) in DIR/base, with DIR/base.json saying
 * what it holds (events, experiments, generator version); it is generated only when absent, and a
 * DIR/base.json that names another dataset is an error, not a silent regeneration. Each run works on a
 * copy (DIR/run-<pid>, removed after), so the rounds' increments never reach the base and every run
 * starts from the same dataset. --generate-only stops after the base is written.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import pino from 'pino'
import { MemoryBus } from '../src/adapters/bus/memory-bus.js'
import { ManualClock } from '../src/adapters/clock/manual-clock.js'
import { MemoryStateStore } from '../src/adapters/state/memory-state.js'
import { embeddedWarehouse } from '../src/adapters/warehouse/clickhouse-warehouse.js'
import { ExperimentSpecSchema, type ExperimentSpecInput } from '../src/domain/experiment.js'
import { newRecord, type ExperimentRecord } from '../src/domain/experiment-record.js'
import { parseWith } from '../src/domain/validation.js'
import { EvaluateService } from '../src/services/evaluate.js'
import { evaluationQueryPlan, readEvaluationBatch } from '../src/services/evaluate-batch.js'
import { IncrementalEvaluationReader } from '../src/services/evaluate-incremental.js'
import { decide } from '../src/decide/decide.js'
import { verdictEvidence } from '../src/decide/verdict-evidence.js'
import { migrate } from '../src/services/migrate.js'
import type { Warehouse } from '../src/ports/warehouse.js'
import { sqlQuery } from '../src/sql-files.js'

const { values: args } = parseArgs({ options: {
  events: { type: 'string', default: '1000000' },
  experiments: { type: 'string', default: '10,100,1000' },
  'per-experiment-max': { type: 'string', default: '100' },
  // Also time each planned query with the SQL text it replaced (test/fixtures/sql-oracle/): before/after in one run.
  oracle: { type: 'boolean', default: false },
  incremental: { type: 'boolean', default: false },
  increment: { type: 'string', default: '0.01' },
  rounds: { type: 'string', default: '2' },
  check: { type: 'boolean', default: false },
  // Only after the last round (a full read at 100M costs as much as the first cycle).
  'check-last': { type: 'boolean', default: false },
  'data-dir': { type: 'string' },
  'generate-only': { type: 'boolean', default: false },
} })
const EVENTS = Number(args.events)
const SIZES = args.experiments.split(',').map(Number)
const PER_MAX = Number(args['per-experiment-max'])
const UNITS = Math.max(1000, Math.floor(EVENTS / 10))
const NOW = Date.UTC(2026, 2, 2, 12)
const METRICS = ['revenue', 'sessions', 'error_rate', 'latency_ms']
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ')
const rssMb = () => (process.resourceUsage().maxRSS / 1024).toFixed(0)

/** Experiment i: 2–4 variants, 3–6 metrics (mean, proportion, quantile+SLO, ratio, count; CUPED on every 10th). */
function spec(i: number, prefix: string): ExperimentSpecInput {
  const nv = 2 + (i % 3)
  const secondary: NonNullable<ExperimentSpecInput['metrics']['secondary']> = []
  if (i % 4 >= 1) secondary.push({ name: 'rps', type: 'ratio', numerator: 'revenue', denominator: 'sessions', direction: 'increase' })
  if (i % 4 >= 2) secondary.push({ name: 'sessions', type: 'count', direction: 'increase' })
  if (i % 4 >= 3) secondary.push({ name: 'revenue_sum', source: 'revenue', aggregation: 'sum', direction: 'increase' })
  return {
    id: `${prefix}-${i}`, owner: 'bench', hypothesis: 'bench',
    variants: ['control', 'v1', 'v2', 'v3'].slice(0, nv).map((name) => ({ name, weight: 100 / nv })),
    rollout: { steps: [{ exposure: 100, minDuration: '1h' }] },
    metrics: {
      primary: { name: 'revenue', direction: 'increase', ...(i % 10 === 0 ? { covariate: { prePeriod: '3d' } } : {}) },
      guardrails: [{ name: 'error_rate', type: 'proportion', direction: 'decrease' }, { name: 'p95', type: 'quantile', quantile: 0.95, source: 'latency_ms', direction: 'decrease', slo: { max: 400 } }],
      secondary,
    },
  } as ExperimentSpecInput
}

function record(input: ExperimentSpecInput): ExperimentRecord {
  const parsed = parseWith(ExperimentSpecSchema, input)
  if (!parsed.ok) throw new Error(parsed.problems.map((p) => `${p.path}: ${p.message}`).join('; '))
  return { ...newRecord(parsed.value, NOW - 6 * 3_600_000), state: 'running', startedAt: NOW - 6 * 3_600_000, stepStartedAt: NOW - 6 * 3_600_000, allocation: { start: 0, size: 10_000 } }
}

/**
 * n events numbered from `off` for E experiments of `prefix`, received at `receivedMs`, ts in the 6h
 * before `nowMs` (1 in 20 days earlier). Variant: the experiment's hash of the unit over its variant
 * count (2–4, as in spec()); units number/E mod UNITS, so an increment's events land on existing units.
 */
async function insertEvents(w: Warehouse, prefix: string, E: number, off0: number, count: number, nowMs: number, receivedMs: number, onExisting = false): Promise<void> {
  // onExisting (the rounds' increments): unit ids spread over those the base gave every experiment
  // (0 … N/E − 1), so a touched unit has old events; before 2026-12-03 10:25 UTC increments went to new ids.
  const unit = onExisting ? `(intDiv(number, ${E}) * 7919) % ${Math.max(1, Math.min(UNITS, Math.floor(EVENTS / E)))}` : `intDiv(number, ${E}) % ${UNITS}`
  const CHUNK = 2_000_000
  for (let off = off0; off < off0 + count; off += CHUNK) {
    const n = Math.min(CHUNK, off0 + count - off)
    await w.command(`INSERT INTO events (event_id, ts, experiment_id, variant, unit_id, service, metric, value, attributes, received_at) SELECT
      concat('${prefix}-', toString(number)) AS event_id,
      fromUnixTimestamp64Milli(toInt64(${nowMs} - if(number % 20 = 0, 86400000 + (number * 7919) % 172800000, (number * 104729) % 21600000))) AS ts,
      concat('${prefix}-', toString(number % ${E})) AS experiment_id,
      ['control', 'v1', 'v2', 'v3'][1 + murmurHash3_32(concat(experiment_id, ':', unit_id)) % (2 + (number % ${E}) % 3)] AS variant,
      concat('u', toString(${unit})) AS unit_id,
      'svc' AS service,
      ['${METRICS.join("','")}'][1 + intHash32(number) % 4] AS metric,
      multiIf(metric = 'error_rate', toFloat64(intHash32(number + 1) % 100 < 3), metric = 'latency_ms', 50 + (intHash32(number + 2) % 600), metric = 'sessions', 1 + intHash32(number + 3) % 3, (intHash32(number + 4) % 10000) / 100) AS value,
      map() AS attributes,
      fromUnixTimestamp64Milli(toInt64(${receivedMs})) AS received_at
      FROM numbers(${off}, ${n})`)
  }
}

/** The resident set's peak while `f` runs (sampled every 100 ms; maxRSS is the process's lifetime peak). */
async function sampledRss<T>(f: () => Promise<T>): Promise<{ value: T; peakMb: number }> {
  let peak = process.memoryUsage.rss()
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()) }, 100)
  try {
    const value = await f()
    return { value, peakMb: Math.round(Math.max(peak, process.memoryUsage.rss()) / 1048576) }
  } finally {
    clearInterval(timer)
  }
}

/** --incremental: the job's reader kept across a first (full) cycle and --rounds incremental ones. */
async function incrementalRounds(E: number, prefix: string, state: MemoryStateStore, clock: ManualClock, evaluator: EvaluateService): Promise<void> {
  const GRACE = 5_000
  const reader = new IncrementalEvaluationReader(warehouse, { graceMs: GRACE, rebaseMs: 6 * 3_600_000 })
  const running = (await state.list()).filter((r) => r.state === 'running')
  const INC = Math.round(EVENTS * Number(args.increment))
  for (let k = 0; k <= Number(args.rounds); k++) {
    let insertS = 0
    if (k > 0) {
      const t = performance.now()
      await insertEvents(warehouse, prefix, E, EVENTS + (k - 1) * INC, INC, NOW + k * 60_000, NOW + k * 60_000, true)
      insertS = (performance.now() - t) / 1000
    }
    await clock.advanceTo(NOW + k * 60_000 + 2 * GRACE)
    reader.retain(new Set(running.map((r) => r.spec.id)))
    const queryMs: Record<string, number> = {}
    const t = performance.now()
    const { value: evaluations, peakMb } = await sampledRss(() => evaluator.evaluateMany(running, { reader, onQuery: (name, ms) => { const k = name.replace(/-batch$/, ''); queryMs[k] = (queryMs[k] ?? 0) + Math.round(ms) } }))
    const cycleS = (performance.now() - t) / 1000
    let check: Record<string, number> | undefined
    if (args.check || (args['check-last'] && k === Number(args.rounds))) {
      // Floating sums added in another order differ in the last bits: numbers are compared to 1e-9 relative, all else exactly.
      const full = await readEvaluationBatch(warehouse, running, { now: clock.now() })
      check = { evidenceDiffers: 0, decisionsDiffer: 0, bitIdentical: 0, maxRelDiff: 0 }
      evaluations.forEach((e, i) => {
        const o = decide({ record: running[i]!, now: clock.now(), ...full.get(running[i]!.spec.id)! })
        const a = verdictEvidence(e.outcome)
        const b = verdictEvidence(o)
        const rel = maxRelDiff(JSON.parse(a), JSON.parse(b))
        check!.maxRelDiff = Math.max(check!.maxRelDiff!, rel)
        if (a === b) check!.bitIdentical!++
        if (rel > 1e-9) check!.evidenceDiffers!++
        if (e.outcome.decision !== o.decision || JSON.stringify(e.outcome.reasons.map((r) => r.code)) !== JSON.stringify(o.reasons.map((r) => r.code))) check!.decisionsDiffer!++
      })
    }
    console.log(JSON.stringify({
      experiments: E, mode: k === 0 ? 'incremental, first cycle (full bases)' : `incremental, round ${k}`, baseEvents: EVENTS, eventsAdded: k === 0 ? 0 : INC,
      insertS: +insertS.toFixed(1), cycleS: +cycleS.toFixed(2), queryMs, peakRssDuringCycleMb: peakMb, maxRssMb: Number(rssMb()),
      ...(check ? { check } : {}), load: load(),
    }))
  }
}

/** The largest relative difference between numbers at the same place; Infinity when anything else differs. */
function maxRelDiff(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a === b ? 0 : Math.abs(a - b) / Math.max(1e-300, Math.abs(a), Math.abs(b))
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)])
    if (Array.isArray(a) !== Array.isArray(b)) return Infinity
    return Math.max(0, ...[...keys].map((k) => maxRelDiff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])))
  }
  return Object.is(a, b) ? 0 : Infinity
}

/** What a kept base holds; a change to insertEvents or the migrations' tables bumps `generator`. */
const BASE_META = { events: EVENTS, experiments: SIZES.join(','), units: UNITS, now: NOW, generator: 1 }

/**
 * The data dir this run opens: a fresh temporary one, or (--data-dir) a copy of the kept base, which is
 * generated first when absent. Returns the dir, whether the size's events are already in it, and its cleanup.
 */
async function openDataDir(): Promise<{ dir: string; generated: boolean; done: () => void }> {
  const keep = args['data-dir']
  if (!keep) {
    const dir = mkdtempSync(join(tmpdir(), 'runway-bench-eval-cycle-'))
    return { dir, generated: false, done: () => rmSync(dir, { recursive: true, force: true }) }
  }
  if (SIZES.length !== 1) throw new Error('--data-dir keeps one size: pass one --experiments value')
  const base = join(keep, 'base')
  const metaPath = join(keep, 'base.json')
  if (existsSync(metaPath)) {
    const held = readFileSync(metaPath, 'utf8').trim()
    if (held !== JSON.stringify(BASE_META)) throw new Error(`${keep} holds ${held}, not ${JSON.stringify(BASE_META)}`)
  } else {
    // Generated into a side dir and renamed: an interrupted generation leaves no base that looks whole.
    const partial = join(keep, `partial-${process.pid}`)
    rmSync(partial, { recursive: true, force: true })
    const w = embeddedWarehouse(partial)
    try {
      await migrate(w)
      const E = SIZES[0]!
      const t = performance.now()
      await insertEvents(w, `x${E}`, E, 0, EVENTS, NOW, NOW)
      const insertS = (performance.now() - t) / 1000
      console.log(JSON.stringify({ generated: keep, experiments: E, events: EVENTS, insertS: +insertS.toFixed(1), eventsPerS: Math.round(EVENTS / insertS), load: load() }))
    } finally {
      await w.close()
    }
    rmSync(base, { recursive: true, force: true })
    renameSync(partial, base)
    writeFileSync(metaPath, JSON.stringify(BASE_META) + '\n')
  }
  if (args['generate-only']) return { dir: '', generated: true, done: () => {} }
  const dir = join(keep, `run-${process.pid}`)
  const t = performance.now()
  execFileSync('cp', ['-a', '--reflink=auto', base, dir])
  console.log(JSON.stringify({ copiedBase: base, to: dir, copyS: +((performance.now() - t) / 1000).toFixed(1), load: load() }))
  return { dir, generated: true, done: () => rmSync(dir, { recursive: true, force: true }) }
}

const opened = await openDataDir()
if (args['generate-only']) process.exit(0)
const warehouse = embeddedWarehouse(opened.dir)
try {
  await migrate(warehouse)
  console.log(`events ${EVENTS}, units ${UNITS}, sizes ${SIZES.join('/')}, load ${load()}`)
  for (const E of SIZES) {
    const prefix = `x${E}`
    const records = Array.from({ length: E }, (_, i) => record(spec(i, prefix)))
    // Each size gets its own EVENTS events over its own experiments: a cycle touches only its own.
    // Variant: the experiment's hash of the unit over its variant count (2–4, as in spec()); ts within
    // the last 6h (SLO windows) and, for 1 event in 20, days earlier in the pre-period (CUPED).
    let t = performance.now()
    if (!opened.generated) await insertEvents(warehouse, prefix, E, 0, EVENTS, NOW, NOW)
    const insertS = (performance.now() - t) / 1000
    console.log(JSON.stringify({ experiments: E, events: EVENTS, insertS: +insertS.toFixed(1), eventsPerS: Math.round(EVENTS / insertS), ...(opened.generated ? { reusedBase: args['data-dir'] } : {}), load: load() }))
    const state = new MemoryStateStore()
    for (const r of records) await state.put(r, null)
    const clock = new ManualClock(NOW)
    const evaluator = new EvaluateService({ warehouse, state, bus: new MemoryBus(), clock, log: pino({ level: 'silent' }), queue: { patch: async () => null as never } })
    if (args.incremental) {
      await incrementalRounds(E, prefix, state, clock, evaluator)
      continue
    }

    // The cycle first (cold for this size's rows), then one at a time.
    t = performance.now()
    const running = (await state.list()).filter((r) => r.state === 'running')
    const queryMs: Record<string, number> = {}
    const evaluations = await evaluator.evaluateMany(running, { onQuery: (name, ms) => { queryMs[name.replace(/-batch$/, '')] = Math.round(ms) } })
    const batchS = (performance.now() - t) / 1000
    const readS = Object.values(queryMs).reduce((a, b) => a + b, 0) / 1000
    const decisions = new Map<string, number>()
    for (const e of evaluations) decisions.set(e.verdict.decision, (decisions.get(e.verdict.decision) ?? 0) + 1)
    const batchRss = rssMb()

    if (args.oracle) {
      const oracleMs: Record<string, number> = {}
      for (const q of evaluationQueryPlan(running, { now: NOW })) {
        const q0 = performance.now()
        // Queries not rewritten have no fixture: their text is today's.
        const previous = new URL(`../test/fixtures/sql-oracle/${q.name}.sql`, import.meta.url)
        await warehouse.select(existsSync(previous) ? readFileSync(previous, 'utf8') : sqlQuery(q.name), q.params as never)
        oracleMs[q.name.replace(/-batch$/, '')] = Math.round(performance.now() - q0)
      }
      const oracleReadS = Object.values(oracleMs).reduce((a, b) => a + b, 0) / 1000
      console.log(JSON.stringify({ experiments: E, events: EVENTS, oracleReadS: +oracleReadS.toFixed(2), oracleQueryMs: oracleMs, peakRssMb: Number(rssMb()), load: load() }))
    }

    const sample = records.slice(0, Math.min(E, PER_MAX))
    t = performance.now()
    for (const r of sample) await evaluator.evaluate(r.spec.id)
    const perSampleS = (performance.now() - t) / 1000
    const perS = perSampleS * (E / sample.length)
    console.log(JSON.stringify({
      experiments: E, events: EVENTS, units: UNITS, insertS: +insertS.toFixed(1),
      cycleS: +batchS.toFixed(2), cycleBatchReadS: +readS.toFixed(2),
      oneAtATimeS: +perS.toFixed(2), oneAtATimeMeasuredOn: sample.length, extrapolated: sample.length < E,
      oneAtATimeMsEach: +((perSampleS * 1000) / sample.length).toFixed(0),
      speedup: +(perS / batchS).toFixed(1), decisions: Object.fromEntries(decisions), queryMs, peakRssMb: Number(rssMb()), rssAfterBatchMb: Number(batchRss), load: load(),
    }))
  }
} finally {
  await warehouse.close()
  opened.done()
}
