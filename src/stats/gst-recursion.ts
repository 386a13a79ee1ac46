/**
 * Recursive numerical integration for group sequential designs (Armitage, McPherson &
 * Rowe 1969), with the grid and Simpson's rule of Jennison & Turnbull (2000), ch. 19.
 * Z_k is the standardized statistic at information fraction t_k; under drift η,
 * S_k = Z_k√t_k is Brownian motion with drift η: increments ~ N(η·Δ_k, Δ_k).
 * A state holds the sub-density of Z_k on the continuation region (paths not yet stopped).
 */
import { normalCdf, normalSf } from './normal.js'

export interface RecursionState {
  t: number
  z: Float64Array
  /** Simpson weight × sub-density at each grid point */
  wg: Float64Array
}

/** Grid over (a, b) centred at the drift mean (J&T §19.2.1, r = 16 gives ~1e-6 accuracy). */
function grid(mean: number, a: number, b: number, r: number): { z: Float64Array; w: Float64Array } {
  const base: number[] = []
  for (let i = 1; i <= 6 * r - 1; i++) {
    let x: number
    if (i < r) x = -3 - 4 * Math.log(r / i)
    else if (i <= 5 * r) x = -3 + (3 * (i - r)) / (2 * r)
    else x = 3 + 4 * Math.log(r / (6 * r - i))
    base.push(mean + x)
  }
  const lo = Math.max(a, base[0]!)
  const hi = Math.min(b, base[base.length - 1]!)
  const pts = [lo, ...base.filter((x) => x > lo && x < hi), hi]
  if (!(hi > lo)) return { z: new Float64Array(0), w: new Float64Array(0) }
  const m = pts.length - 1
  const z = new Float64Array(2 * m + 1)
  const w = new Float64Array(2 * m + 1)
  for (let j = 0; j < m; j++) {
    const x0 = pts[j]!
    const x1 = pts[j + 1]!
    const h = x1 - x0
    z[2 * j] = x0
    z[2 * j + 1] = 0.5 * (x0 + x1)
    w[2 * j] = w[2 * j]! + h / 6
    w[2 * j + 1] = w[2 * j + 1]! + (4 * h) / 6
    w[2 * j + 2] = w[2 * j + 2]! + h / 6
  }
  z[2 * m] = pts[m]!
  return { z, w }
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI)

/** First look: Z_1 ~ N(η√t₁, 1) restricted to (a, b). */
export function initialState({ t, drift, a, b, r = 16 }: { t: number; drift: number; a: number; b: number; r?: number }): RecursionState {
  const mean = drift * Math.sqrt(t)
  const { z, w } = grid(mean, a, b, r)
  const wg = new Float64Array(z.length)
  for (let i = 0; i < z.length; i++) {
    const d = z[i]! - mean
    wg[i] = w[i]! * INV_SQRT_2PI * Math.exp(-0.5 * d * d)
  }
  return { t, z, wg }
}

/** Probabilities of exiting above b (and below a) at the next look t, from state. */
export function exitProbabilities({ state, t, drift, a, b }: { state: RecursionState; t: number; drift: number; a: number; b: number }): {
  upper: number
  lower: number
  /** d(upper)/db, for Newton steps on the boundary */
  upperSlope: number
} {
  const dt = t - state.t
  const sd = Math.sqrt(dt)
  const st = Math.sqrt(t)
  const sPrev = Math.sqrt(state.t)
  let upper = 0
  let lower = 0
  let upperSlope = 0
  for (let i = 0; i < state.z.length; i++) {
    const base = state.z[i]! * sPrev + drift * dt
    const wg = state.wg[i]!
    if (b < Infinity) {
      const u = (b * st - base) / sd
      upper += wg * normalSf(u)
      upperSlope -= (wg * INV_SQRT_2PI * Math.exp(-0.5 * u * u) * st) / sd
    }
    if (a > -Infinity) lower += wg * normalCdf((a * st - base) / sd)
  }
  return { upper, lower, upperSlope }
}

/** Sub-density at look t on (a, b) from the previous state. */
export function advanceState({ state, t, drift, a, b, r = 16 }: { state: RecursionState; t: number; drift: number; a: number; b: number; r?: number }): RecursionState {
  const { z, w } = grid(drift * Math.sqrt(t), a, b, r)
  const dt = t - state.t
  const sd = Math.sqrt(dt)
  const st = Math.sqrt(t)
  const sPrev = Math.sqrt(state.t)
  const wg = new Float64Array(z.length)
  const k = (INV_SQRT_2PI * st) / sd
  const prev = new Float64Array(state.z.length)
  for (let i = 0; i < prev.length; i++) prev[i] = state.z[i]! * sPrev
  // Kernel terms beyond 9 sd are below 1e-17 of the peak: skip them (most pairs when Δ is small).
  const cut = 9 * sd
  const inv = 1 / sd
  for (let j = 0; j < z.length; j++) {
    const target = z[j]! * st - drift * dt
    let acc = 0
    for (let i = 0; i < prev.length; i++) {
      const diff = target - prev[i]!
      if (diff > cut || diff < -cut) continue
      const u = diff * inv
      acc += state.wg[i]! * Math.exp(-0.5 * u * u)
    }
    wg[j] = w[j]! * k * acc
  }
  return { t, z, wg }
}
