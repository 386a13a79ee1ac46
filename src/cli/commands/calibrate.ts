import { CALIBRATION_METHODS, type CalibrationMethod, calibrate } from '../../stats/calibrate.js'
import { guardrailPower } from '../../stats/guardrail-power.js'
import { CliExit, table } from '../output.js'

export interface CalibrateFlags {
  seed: string
  experiments: string
  looks: string
  unitsPerLook: string
  alpha: string
  effect?: string
  methods?: string
  tuningN?: string
  tau?: string
  json?: boolean
  /** rare-event guardrail power table instead of the method calibration */
  guardrails?: boolean
  unitsPerArm?: string
}

const positiveInt = (name: string, v: string) => {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1) throw new CliExit(1, `--${name} must be a positive integer (got ${v})`)
  return n
}

/** `runway calibrate`: seeded A/A and A/B simulations with repeated looks, per method. */
export function calibrateCommand(f: CalibrateFlags): void {
  const methods = f.methods ? (f.methods.split(',').map((m) => m.trim()) as CalibrationMethod[]) : CALIBRATION_METHODS
  const unknown = methods.filter((m) => !CALIBRATION_METHODS.includes(m))
  if (unknown.length > 0) throw new CliExit(1, `unknown method(s) ${unknown.join(', ')}; choose from ${CALIBRATION_METHODS.join(', ')}`)
  const alpha = Number(f.alpha)
  if (!(alpha > 0 && alpha < 1)) throw new CliExit(1, `--alpha must be in (0, 1) (got ${f.alpha})`)
  const experiments = positiveInt('experiments', f.experiments)
  const looks = positiveInt('looks', f.looks)
  if (f.guardrails) return guardrailTable(f, { alpha, experiments, looks })
  if (!f.json) process.stderr.write(`simulating ${experiments} experiments × ${looks} looks per method and scenario…\n`)
  const result = calibrate({
    seed: positiveInt('seed', f.seed),
    experiments,
    looks,
    unitsPerLook: positiveInt('units-per-look', f.unitsPerLook),
    alpha,
    methods,
    ...(f.effect !== undefined ? { effect: Number(f.effect) } : {}),
    ...(f.tuningN !== undefined ? { tuningN: positiveInt('tuning-n', f.tuningN) } : {}),
    ...(f.tau !== undefined ? { tau2: Number(f.tau) ** 2 } : {}),
  })
  if (f.json) {
    console.log(JSON.stringify(result, null, 2))
    return
  }
  console.log(`effect under A/B: ${result.effect.toFixed(4)} σ; mSPRT τ² = ${result.tau2.toPrecision(4)}; confseq N* = ${result.tuningN}\n`)
  console.log(
    table(
      ['METHOD', 'SCENARIO', 'REJECTION RATE', '± MC SE', 'MEAN STOPPING LOOK'],
      result.rows.map((r) => [r.method, r.scenario === 'A/A' ? 'A/A (false positives)' : 'A/B (power)', r.rejectionRate.toFixed(4), r.monteCarloSe.toFixed(4), r.meanStoppingLook.toFixed(1)]),
    ),
  )
}

/** `runway calibrate --guardrails`: power of the one-sided guardrail harm test on rare events, per τ rule. */
function guardrailTable(f: CalibrateFlags, o: { alpha: number; experiments: number; looks: number }): void {
  const nPerArm = positiveInt('units-per-arm', f.unitsPerArm ?? '5000')
  if (!f.json) process.stderr.write(`simulating ${o.experiments} experiments × ${o.looks} looks up to ${nPerArm} units/arm per base rate, multiplier and τ rule…\n`)
  const result = guardrailPower({ seed: positiveInt('seed', f.seed), experiments: o.experiments, looks: o.looks, alpha: o.alpha, nPerArm })
  if (f.json) {
    console.log(JSON.stringify(result, null, 2))
    return
  }
  console.log(`one-sided harm test (mixture SPRT), α = ${o.alpha}, ${o.looks} looks up to ${nPerArm} units per arm; ×1 rows are false positives\n`)
  console.log(
    table(
      ['BASE RATE', 'TREATMENT', 'τ RULE', 'REJECTION RATE', '± MC SE'],
      result.rows.map((r) => [`${(r.baseRate * 100).toFixed(1)}%`, `×${r.multiplier}`, r.rule, r.rejectionRate.toFixed(4), r.monteCarloSe.toFixed(4)]),
    ),
  )
}
