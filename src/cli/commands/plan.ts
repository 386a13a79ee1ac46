import { ExperimentSpecSchema } from '../../domain/experiment.js'
import { parseWith } from '../../domain/validation.js'
import { parseSpecText } from '../../api/spec-body.js'
import { plan } from '../../stats/plan.js'
import { CliExit, table } from '../output.js'
import { readSpecFile } from './validate.js'

export interface PlanFlags {
  traffic: string
  baseline: string
  sd?: string
  metricType: 'mean' | 'proportion'
  power: string
  json?: boolean
}

/** Accepts "20000", "20000/day" or "20k/day". */
function parseTraffic(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(k|m)?(?:\/day)?$/i.exec(text.trim())
  if (!m) throw new CliExit(1, `--traffic must look like 20000/day or 20k/day (got ${text})`)
  return Number(m[1]) * (m[2]?.toLowerCase() === 'k' ? 1e3 : m[2]?.toLowerCase() === 'm' ? 1e6 : 1)
}

/** `runway plan spec.yaml --traffic N/day --baseline …`: sample size and duration per method. */
export function planCommand(file: string, f: PlanFlags): void {
  const parsed = parseWith(ExperimentSpecSchema, parseSpecText(readSpecFile(file), file))
  if (!parsed.ok) {
    for (const p of parsed.problems) console.error(`${p.path}: ${p.message}`)
    throw new CliExit(1, `${file}: invalid spec`)
  }
  const spec = parsed.value
  const s = spec.statistics
  const baseline = Number(f.baseline)
  if (!Number.isFinite(baseline)) throw new CliExit(1, `--baseline must be a number (got ${f.baseline})`)
  if (f.metricType === 'mean' && f.sd === undefined) throw new CliExit(1, '--sd is required for a mean metric (or pass --metric-type proportion)')
  const variants = spec.variants
  const ratio = variants[1]!.weight / variants[0]!.weight
  const result = plan({
    baseline,
    ...(f.sd !== undefined ? { sd: Number(f.sd) } : {}),
    metric: f.metricType,
    mde: s.mde,
    alpha: s.alpha,
    power: Number(f.power),
    trafficPerDay: parseTraffic(f.traffic),
    ratio,
    gst: { looks: s.gst.looks, spending: s.gst.spending },
    ...(s.tuningN ?? s.plannedUnits ? { confseq: { tuningN: s.tuningN ?? s.plannedUnits } } : {}),
    // The same default the decision engine uses: τ = mde · |baseline| unless the spec gives τ.
    msprt: { tau2: s.tau !== undefined ? s.tau * s.tau : (s.mde * baseline) ** 2 },
  })
  if (result.status !== 'ok') throw new CliExit(1, `cannot plan (${result.status}): check --baseline, --sd, --traffic and the spec's mde/alpha`)
  if (f.json) {
    console.log(JSON.stringify(result, null, 2))
    return
  }
  console.log(`${spec.id}: detect a ${(s.mde * 100).toFixed(1)}% relative change of ${baseline} (σ = ${result.sd?.toPrecision(4)}) at α = ${s.alpha}, power ${f.power}, two-sided\n`)
  console.log(
    table(
      ['METHOD', 'UNITS / CONTROL ARM', 'TOTAL UNITS', 'DAYS', 'NOTE'],
      result.rows.map((r) => [r.method + (r.method === s.test ? ' (this spec)' : ''), r.nPerArm ?? 'n/a', r.totalN ?? 'n/a', r.days === null ? 'n/a' : r.days.toFixed(1), r.note]),
    ),
  )
}
