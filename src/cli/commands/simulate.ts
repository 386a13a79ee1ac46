import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { parse as parseYaml } from 'yaml'
import type { RunwayConfig } from '../../config.js'
import { parseWith } from '../../domain/validation.js'
import { runScenario } from '../../sim/harness.js'
import { type Scenario, ScenarioSchema } from '../../sim/scenario.js'
import type { SimulationSummary, TimelineEntry } from '../../sim/simulator.js'
import { CliExit, table } from '../output.js'

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
  `${`+${e.elapsed}`.padEnd(10)} ${e.experiment.padEnd(20)} ${`${e.from ?? '∅'} → ${e.to}`.padEnd(22)} ${e.to === 'running' ? `step ${e.step} @ ${e.exposure}%`.padEnd(16) : ''.padEnd(16)} ${e.reason}`

/** `runway simulate scenario.yaml` (and `runway demo`): accelerated synthetic traffic through the real path. */
export async function simulateCommand(file: string, config: RunwayConfig, opts: { json?: boolean; keepData?: string }): Promise<SimulationSummary> {
  const scenario = loadScenario(file)
  const started = Date.now()
  const quiet = opts.json === true
  if (!quiet) {
    console.log(`Scenario "${scenario.name}": ${scenario.experiments.length} experiments, ${scenario.duration / 3_600_000}h of simulated traffic in ${scenario.tick / 60_000}m ticks (seed ${scenario.seed})\n`)
    console.log(`${'TIME'.padEnd(10)} ${'EXPERIMENT'.padEnd(20)} ${'TRANSITION'.padEnd(22)} ${'STEP'.padEnd(16)} REASON`)
  }
  let lastPct = -1
  const summary = await runScenario(scenario, {
    config,
    log: pino({ level: config.logLevel === 'info' ? 'warn' : config.logLevel }, pino.destination(2)),
    ...(opts.keepData ? { dataDir: opts.keepData } : {}),
    onTransition: quiet ? () => {} : (e) => console.log(timelineLine(e)),
    onProgress: (done, total) => {
      const pct = Math.floor((done / total) * 10) * 10
      if (pct !== lastPct && process.stderr.isTTY) process.stderr.write(`\r  simulated ${pct}%   ${pct === 100 ? '\n' : ''}`)
      lastPct = pct
    },
  })
  if (quiet) {
    console.log(JSON.stringify({ experiments: summary.experiments.map(({ id, finalState, transitions }) => ({ id, finalState, transitions })) }, null, 2))
    return summary
  }
  console.log(`\nSummary (${((Date.now() - started) / 1000).toFixed(1)} s wall time; ${summary.ingest.accepted} events accepted, ${summary.ingest.rejected} rejected in ${summary.ingest.batches} batches)\n`)
  console.log(
    table(
      ['EXPERIMENT', 'FINAL STATE', 'STEP', 'EXPOSURE', 'UNITS EXPOSED', 'TRANSITIONS', 'LAST REASON'],
      summary.experiments.map((e) => [
        e.id,
        e.finalState,
        e.step,
        `${e.exposure}%`,
        e.unitsExposed,
        e.transitions.length,
        (e.transitions.at(-1)?.reason ?? '').slice(0, 90),
      ]),
    ),
  )
  return summary
}
