/**
 * `runway plan`: sample size and duration for each method at a given daily traffic.
 * Effects are relative to the baseline mean (mde = 0.02 means +2%); proportions take
 * σ = √(p(1 − p)) from the baseline rate.
 */
import type { Spending } from './alpha-spending.js'
import { fixedHorizonSampleSize, gstSampleSize, mixtureSampleSize } from './power.js'
import type { Sided } from './sided.js'
import type { StatsStatus } from './status.js'
import { DEFAULT_TUNING_N } from './msprt-tau.js'

export interface PlanInput {
  /** baseline mean (or conversion rate for proportions) */
  baseline: number
  /** per-unit standard deviation; omit for proportions */
  sd?: number
  metric?: 'mean' | 'proportion'
  /** relative minimum detectable effect */
  mde: number
  alpha?: number
  power?: number
  sided?: Sided
  /** units entering the experiment per day, all arms together */
  trafficPerDay: number
  /** n_T / n_C */
  ratio?: number
  gst?: { looks: number; spending?: Spending }
  confseq?: { tuningN?: number }
  msprt?: { tau2?: number }
}

export interface PlanRow {
  method: 'fixed' | 'gst' | 'msprt' | 'confseq'
  /** per control arm; treatment arm is ratio × this */
  nPerArm: number | null
  totalN: number | null
  days: number | null
  /** expected total sample size under the alternative (GST) */
  expectedTotalN?: number | null
  note: string
}

export function plan(input: PlanInput): { status: StatsStatus; rows: PlanRow[]; effect: number | null; sd: number | null } {
  const alpha = input.alpha ?? 0.05
  const power = input.power ?? 0.8
  const sided = input.sided ?? 'two'
  const ratio = input.ratio ?? 1
  const sd = input.metric === 'proportion' ? Math.sqrt(input.baseline * (1 - input.baseline)) : input.sd
  const effect = Math.abs(input.mde * input.baseline)
  if (sd === undefined || !(sd > 0) || !(effect > 0) || !(input.trafficPerDay > 0) || !(alpha > 0 && alpha < 1) || !(power > 0 && power < 1) || !(ratio > 0)) {
    return { status: 'INVALID_INPUT', rows: [], effect: null, sd: sd ?? null }
  }
  const base = { effect, sd, alpha, power, sided, ratio }
  const total = (n: number) => Math.ceil(n) + Math.ceil(ratio * n)
  const row = (method: PlanRow['method'], n: number, note: string, expectedTotalN?: number): PlanRow => ({
    method,
    nPerArm: Number.isFinite(n) ? Math.ceil(n) : null,
    totalN: Number.isFinite(n) ? total(n) : null,
    days: Number.isFinite(n) ? total(n) / input.trafficPerDay : null,
    ...(expectedTotalN !== undefined ? { expectedTotalN: Math.ceil(expectedTotalN) } : {}),
    note,
  })
  const looks = input.gst?.looks ?? 5
  const g = gstSampleSize({ ...base, informationFractions: Array.from({ length: looks }, (_, k) => (k + 1) / looks), spending: input.gst?.spending ?? 'obf' })
  const tuningN = input.confseq?.tuningN ?? DEFAULT_TUNING_N
  const rows: PlanRow[] = [
    row('fixed', fixedHorizonSampleSize(base), 'z-test at the planned horizon, one look'),
    row('gst', g.nMax, `Lan–DeMets ${JSON.stringify(input.gst?.spending ?? 'obf')} with ${looks} equally spaced looks; maximum`, g.expectedN * (1 + ratio)),
    row('confseq', mixtureSampleSize({ ...base, tuningN }), `asymptotic confidence sequence, N* = ${tuningN}; any number of looks`),
  ]
  if (input.msprt?.tau2 !== undefined) rows.push(row('msprt', mixtureSampleSize({ ...base, tau2: input.msprt.tau2 }), 'mixture SPRT with the given τ²'))
  return { status: 'ok', rows, effect, sd }
}
