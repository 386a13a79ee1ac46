/**
 * Group sequential tests with Lan–DeMets alpha spending (Lan & DeMets 1983): at look k the
 * boundary c_k is chosen so that P_H0(first crossing at look k) = α(t_k) − α(t_{k−1}),
 * crossing probabilities by recursive numerical integration (gst-recursion.ts).
 * Two-sided designs reject on |Z_k| ≥ c_k (symmetric), one-sided on Z_k ≥ c_k.
 * Information fractions may be unequal; when the sample overruns the plan (t_K > 1) all
 * fractions are divided by t_K so the current look spends the remaining α — earlier
 * boundaries are recomputed on the rescaled fractions (Lan & DeMets' "information
 * fraction rescaled" convention), which the result reports via `rescaled`.
 */
import { spentAlpha, validSpending, type Spending } from './alpha-spending.js'
import { advanceState, exitProbabilities, initialState, type RecursionState } from './gst-recursion.js'
import { normalQuantileUpper, normalSf } from './normal.js'
import { validAlpha, type Sided } from './sided.js'
import type { StatsStatus } from './status.js'

export interface GstBoundaries {
  status: StatsStatus
  /** fractions actually used (after rescaling) */
  informationFractions: number[]
  rescaled: boolean
  /** upper z boundary per look (two-sided: reject when |Z| ≥ c); Infinity when nothing is spent */
  boundaries: number[]
  /** α(t_k) actually spent through look k */
  cumulativeAlpha: number[]
}

/** Strictly increasing positive fractions, rescaled so the last is ≤ 1. */
export function normalizeFractions(fractions: number[]): { ok: boolean; fractions: number[]; rescaled: boolean } {
  if (fractions.length === 0 || !fractions.every((t) => Number.isFinite(t) && t > 0)) return { ok: false, fractions: [], rescaled: false }
  for (let i = 1; i < fractions.length; i++) if (!(fractions[i]! > fractions[i - 1]!)) return { ok: false, fractions: [], rescaled: false }
  const last = fractions[fractions.length - 1]!
  if (last <= 1) return { ok: true, fractions: [...fractions], rescaled: false }
  return { ok: true, fractions: fractions.map((t) => t / last), rescaled: true }
}

/** Lan–DeMets boundaries for the given looks (z scale, H0 drift 0). */
export function gstBoundaries({ informationFractions, alpha, sided = 'two', spending, gridSize = 16 }: {
  informationFractions: number[]
  alpha: number
  sided?: Sided
  spending: Spending
  gridSize?: number
}): GstBoundaries {
  const norm = normalizeFractions(informationFractions)
  if (!norm.ok || !validAlpha(alpha) || !validSpending(spending)) {
    return { status: 'INVALID_INPUT', informationFractions: [], rescaled: false, boundaries: [], cumulativeAlpha: [] }
  }
  const two = sided === 'two'
  const tails = two ? 2 : 1
  // Two-sided designs spend α/2 per side through the spending function (the convention of
  // Lan & DeMets 1983 and of gsDesign/ldbounds/SAS), not α(t)/2: for the O'Brien–Fleming
  // type they differ, and only this one reproduces the published boundaries.
  const sideAlpha = alpha / tails
  const boundaries: number[] = []
  const cumulativeAlpha: number[] = []
  let state: RecursionState | null = null
  let spent = 0 // per side
  for (const t of norm.fractions) {
    const target = spentAlpha({ t, alpha: sideAlpha, spending }) - spent
    let c: number
    if (!(target > 1e-300)) c = Infinity
    else if (state === null) c = normalQuantileUpper(target)
    else c = solveBoundary(state, t, target)
    boundaries.push(c)
    const lower = two ? -c : -Infinity
    if (state === null) {
      spent = normalSf(c)
      state = initialState({ t, drift: 0, a: lower, b: c, r: gridSize })
    } else {
      spent += exitProbabilities({ state, t, drift: 0, a: -Infinity, b: c }).upper
      state = advanceState({ state, t, drift: 0, a: lower, b: c, r: gridSize })
    }
    cumulativeAlpha.push(tails * spent)
  }
  return { status: 'ok', informationFractions: norm.fractions, rescaled: norm.rescaled, boundaries, cumulativeAlpha }
}

/** c with P(continue so far, Z_k ≥ c) = target: Newton steps safeguarded by bisection. */
function solveBoundary(state: RecursionState, t: number, target: number): number {
  const upperAt = (c: number) => exitProbabilities({ state, t, drift: 0, a: -Infinity, b: c })
  if (upperAt(0).upper <= target) return 0
  let lo = 0
  let hi = Math.max(1, normalQuantileUpper(target)) // P(Z_k ≥ c) alone would already be ≤ target here
  while (upperAt(hi).upper > target) hi *= 2
  let c = hi
  for (let i = 0; i < 100; i++) {
    const { upper, upperSlope } = upperAt(c)
    const f = upper - target
    if (f > 0) lo = c
    else hi = c
    let next = upperSlope < 0 ? c - f / upperSlope : NaN
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi)
    if (Math.abs(next - c) < 1e-12 || hi - lo < 1e-12) return next
    c = next
  }
  return c
}

export interface GstResult {
  status: StatsStatus
  look: number
  z: number | null
  /** z boundary at this look */
  boundary: number | null
  crossed: boolean
  /** stage-wise ordering p-value (Jennison & Turnbull §8.4), assuming no earlier crossing */
  pValue: number | null
  /** repeated confidence interval effect ± c_k·se (Jennison & Turnbull ch. 9) */
  ci: [number, number] | null
  boundaries: GstBoundaries
}

/** Group sequential test of effect/se at look `look` (1-based) of the given fractions. */
export function groupSequential({ effect, se, look, informationFractions, alpha, sided = 'two', spending, nullValue = 0 }: {
  effect: number
  se: number
  look: number
  informationFractions: number[]
  alpha: number
  sided?: Sided
  spending: Spending
  nullValue?: number
}): GstResult {
  const bounds = gstBoundaries({ informationFractions: informationFractions.slice(0, look), alpha, sided, spending })
  const empty: GstResult = { status: bounds.status, look, z: null, boundary: null, crossed: false, pValue: null, ci: null, boundaries: bounds }
  if (!Number.isInteger(look) || look < 1 || look > informationFractions.length || !Number.isFinite(effect) || !Number.isFinite(se) || se < 0) {
    return { ...empty, status: 'INVALID_INPUT' }
  }
  if (bounds.status !== 'ok') return empty
  if (se === 0) return { ...empty, status: 'ZERO_VARIANCE' }
  const c = bounds.boundaries[look - 1]!
  const zRaw = (effect - nullValue) / se
  const z = sided === 'less' ? -zRaw : zRaw
  const stat = sided === 'two' ? Math.abs(z) : z
  const crossed = stat >= c
  const ci: [number, number] = sided === 'two' ? [effect - c * se, effect + c * se]
    : sided === 'greater' ? [effect - c * se, Infinity] : [-Infinity, effect + c * se]
  return { status: 'ok', look, z: zRaw, boundary: c, crossed, pValue: stagewisePValue(bounds, look, stat, sided), ci, boundaries: bounds }
}

function stagewisePValue(bounds: GstBoundaries, look: number, stat: number, sided: Sided): number {
  const tails = sided === 'two' ? 2 : 1
  const fr = bounds.informationFractions
  if (look === 1) return Math.min(1, tails * normalSf(stat))
  const before = bounds.cumulativeAlpha[look - 2]!
  let state = initialState({ t: fr[0]!, drift: 0, a: sided === 'two' ? -bounds.boundaries[0]! : -Infinity, b: bounds.boundaries[0]! })
  for (let k = 1; k < look - 1; k++) {
    const c = bounds.boundaries[k]!
    state = advanceState({ state, t: fr[k]!, drift: 0, a: sided === 'two' ? -c : -Infinity, b: c })
  }
  const tailAtLook = tails === 2 && stat < 0 ? 1 : 0 // |z| form is never negative; one-sided handled by the upper tail
  const p = before + tails * exitProbabilities({ state, t: fr[look - 1]!, drift: 0, a: -Infinity, b: stat }).upper + tailAtLook
  return Math.min(1, p)
}
