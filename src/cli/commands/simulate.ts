import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { parse as parseYaml } from 'yaml'
import type { RunwayConfig } from '../../config.js'
import { formatDuration } from '../../domain/duration.js'
import { parseWith } from '../../domain/validation.js'
import { runScenario } from '../../sim/harness.js'
import { type Scenario, ScenarioSchema } from '../../sim/scenario.js'
import type { SimulationSummary, TimelineEntry } from '../../sim/simulator.js'
import { createTelemetryProducer } from '../../adapters/bus/telemetry-producer.js'
import { simulate } from '../../sim/simulator.js'
import { httpTarget, waitUntil, withTelemetrySender } from '../../sim/target.js'
import { CliExit, clip, table } from '../output.js'

export const DEMO_SCENARIO = fileURLToPath(new URL('../../../scenarios/demo.yaml', import.meta.url))

export function loadScenario(file: string): Scenario {
  let raw: unknown
  try {
    raw = parseYaml(readFileSync(file, 'utf8'))
  } catch (error) {
    throw new CliExit(2, `cannot read scenario ${file}: ${(error as Error).message}`)
  }
  const parsed = parseWith(ScenarioSchema, raw)
  if (!parsed.ok) {
    for (const p of parsed.problems) console.error(`${p.path}: ${p.message}`)
    throw new CliExit(1, `${file}: invalid scenario`)
  }
  return parsed.value
}

const timelineLine = (e: TimelineEntry) =>
  `${`+${e.elapsed}`.padEnd(10)} ${e.experiment.padEnd(22)} ${`${e.from ?? '∅'} → ${e.to}`.padEnd(22)} ${e.to === 'running' ? `step ${e.step} @ ${e.exposure}%`.padEnd(16) : ''.padEnd(16)} ${e.reason}`

/** `runway simulate scenario.yaml` (and `runway demo`): accelerated synthetic traffic through the real path. */
export interface SimulateFlags {
  json?: boolean
  keepData?: string
  /** Wall-clock time on an embedded runway started for the run. */
  realtime?: boolean
  /** Drive this running deployment instead (wall-clock time). */
  server?: string
  /** With --server: send telemetry through Kafka (KAFKA_BROKERS) rather than HTTP. */
  telemetry?: 'http' | 'kafka'
}

/** Runs the scenario against a deployment that is already running (embedded or distributed). */
async function againstServer(scenario: Scenario, config: RunwayConfig, f: SimulateFlags, onTransition: (e: TimelineEntry) => void): Promise<SimulationSummary> {
  let target = httpTarget(f.server!, waitUntil, { token: config.token })
  let close = async () => {}
  if (f.telemetry === 'kafka') {
    if (!config.kafka) throw new CliExit(2, '--telemetry kafka needs KAFKA_BROKERS')
    const producer = createTelemetryProducer({ brokers: config.kafka.brokers, clientId: 'runway-simulate', topicPrefix: config.kafka.topicPrefix, partitions: config.kafka.partitions })
    target = withTelemetrySender(target, (events) => producer.sendTelemetry(events))
    close = () => producer.close()
  }
  try {
    return await simulate({ scenario, target, start: Date.now(), onTransition })
  } finally {
    await close()
  }
}

export async function simulateCommand(file: string, config: RunwayConfig, opts: SimulateFlags): Promise<SimulationSummary> {
  const scenario = loadScenario(file)
  const started = Date.now()
  const quiet = opts.json === true
  if (!quiet) {
    const where = opts.server ? `against ${opts.server}, in real time` : opts.realtime ? 'in real time' : 'in accelerated time'
    console.log(`Scenario "${scenario.name}": ${scenario.experiments.length} experiments, ${formatDuration(scenario.duration)} of traffic in ${formatDuration(scenario.tick)} ticks (seed ${scenario.seed}), ${where}\n`)
    console.log(`${'TIME'.padEnd(10)} ${'EXPERIMENT'.padEnd(22)} ${'TRANSITION'.padEnd(22)} ${'STEP'.padEnd(16)} REASON`)
  }
  let lastPct = -1
  const onTransition = quiet ? () => {} : (e: TimelineEntry) => console.log(timelineLine(e))
  const summary = opts.server ? await againstServer(scenario, config, opts, onTransition) : await runScenario(scenario, {
    ...(opts.realtime ? { realtime: true } : {}),
    config,
    log: pino({ level: config.logLevel === 'info' ? 'warn' : config.logLevel }, pino.destination(2)),
    ...(opts.keepData ? { dataDir: opts.keepData } : {}),
    onTransition,
    onProgress: (done, total) => {
      const pct = Math.floor((done / total) * 10) * 10
      if (pct !== lastPct && process.stderr.isTTY) process.stderr.write(`\r  simulated ${pct}%   ${pct === 100 ? '\n' : ''}`)
      lastPct = pct
    },
  })
  if (quiet) {
    // Each transition carries its verdict's reason codes; an ended experiment its result.
    // Each interference row: the pair, metric (null for the assignment χ²), Δ, p, adjusted p, flagged.
    console.log(JSON.stringify({ experiments: summary.experiments.map(({ id, finalState, result, transitions, refusals }) => ({ id, finalState, result, transitions, refusals })), interference: summary.interference }, null, 2))
    return summary
  }
  console.log(`\nSummary (${((Date.now() - started) / 1000).toFixed(1)} s wall time; ${summary.ingest.accepted} events accepted, ${summary.ingest.rejected} rejected in ${summary.ingest.batches} batches)\n`)
  console.log(
    table(
      ['EXPERIMENT', 'FINAL STATE', 'RESULT', 'STEP', 'EXPOSURE', 'UNITS EXPOSED', 'TRANSITIONS', 'LAST REASON'],
      summary.experiments.map((e) => [
        e.id,
        e.finalState,
        e.result ?? '-',
        e.step,
        `${e.exposure}%`,
        e.unitsExposed,
        e.transitions.length,
        clip(e.transitions.at(-1)?.reason ?? '', 100),
      ]),
    ),
  )
  if (summary.interference.length > 0) {
    console.log(`\nInterference (the job's latest run)\n`)
    console.log(table(['PAIR', 'TEST', 'DELTA', 'ADJ P', 'UNITS', 'STATUS'], summary.interference.map(interferenceCells)))
  }
  return summary
}

const num = (x: number | null) => (x === null ? '-' : Number(x.toPrecision(3)).toString())

/** One interference row for the text summary: the assignment χ² or one metric's treatment × treatment Δ. */
export function interferenceCells(r: SimulationSummary['interference'][number]): Array<string | number> {
  // No χ² without shared units (status insufficient): 'χ²=-' read like a broken value.
  const test = r.kind === 'assignment' ? (r.chiSquare === null ? 'assignment' : `assignment χ²=${num(r.chiSquare)}`) : `${r.metric} ${r.variants?.join('×') ?? ''}`
  // A pair whose populations never met has nothing to test: say so rather than a bare "insufficient".
  const status = r.status === 'insufficient' && r.units === 0 ? 'insufficient (no shared units)' : r.status
  return [r.experiments.join(' × '), test, r.kind === 'assignment' ? '-' : num(r.delta), num(r.adjustedP), r.units, r.action && r.action !== 'flagged' ? `${status} (${r.action})` : status]
}
