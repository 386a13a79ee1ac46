/**
 * Lan–DeMets alpha-spending functions α(t), t = information fraction (Lan & DeMets 1983;
 * Kim & DeMets 1987 for the power family). Each spends exactly α at t = 1.
 *   'obf'    O'Brien–Fleming type: α(t) = 2 − 2Φ(z_{1−α/2}/√t)
 * (a two-sided design calls these with α/2 per side; see gst.ts)
 *   'pocock' Pocock type:          α(t) = α·ln(1 + (e − 1)t)
 *   {power}  power family:         α(t) = α·t^ρ
 */
import { normalQuantileUpper, normalSf } from './normal.js'

export type Spending = 'obf' | 'pocock' | { power: number }

export function spentAlpha({ t, alpha, spending }: { t: number; alpha: number; spending: Spending }): number {
  if (t <= 0) return 0
  if (t >= 1) return alpha
  if (spending === 'obf') return 2 * normalSf(normalQuantileUpper(alpha / 2) / Math.sqrt(t))
  if (spending === 'pocock') return alpha * Math.log1p((Math.E - 1) * t)
  return alpha * Math.pow(t, spending.power)
}

export function validSpending(s: Spending): boolean {
  return s === 'obf' || s === 'pocock' || (typeof s === 'object' && Number.isFinite(s.power) && s.power > 0)
}
