/**
 * Normal-mixture martingale for a normally distributed estimate θ̂ ~ N(θ, V) — the core
 * shared by the mixture SPRT (Johari, Pekelis & Walsh 2017, "Always valid inference",
 * eq. for the normal mixture) and the asymptotic confidence sequences (Howard et al. 2021
 * §3.3; Waudby-Smith et al. 2023), which differ only in how τ² is chosen.
 *
 * Two-sided: Λ(δ) = √(V/(V+τ²)) · exp(τ²δ²/(2V(V+τ²))), δ = θ̂ − θ₀, mixing θ ~ N(θ₀, τ²).
 * One-sided (alternative θ > θ₀): mixing over the half-normal 2·N(θ₀, τ²)·1{θ > θ₀}, which
 * integrates in closed form to Λ₊(δ) = 2Φ(δτ/√(V(V+τ²))) · Λ(δ) (Howard et al. 2021,
 * one-sided normal mixture). Each likelihood ratio exp(θδ/V − θ²/(2V)) with θ > 0 is a
 * supermartingale whenever the true effect is ≤ θ₀, so Ville's inequality covers the
 * whole composite null.
 */
import { logNormalCdf, normalCdf, normalPdf } from './normal.js'

const LN2 = Math.log(2)

/** ln Λ for the two-sided normal mixture. */
export function logMixtureTwoSided({ delta, variance, tau2 }: { delta: number; variance: number; tau2: number }): number {
  return -0.5 * Math.log1p(tau2 / variance) + (tau2 * delta * delta) / (2 * variance * (variance + tau2))
}

/** ln Λ₊ for the one-sided (half-normal) mixture against the alternative δ > 0. */
export function logMixtureOneSided({ delta, variance, tau2 }: { delta: number; variance: number; tau2: number }): number {
  const k = Math.sqrt(tau2 / (variance * (variance + tau2)))
  const u = delta * k
  return LN2 - 0.5 * Math.log1p(tau2 / variance) + 0.5 * u * u + logNormalCdf(u)
}

/**
 * Radius r of the two-sided confidence sequence {θ₀ : Λ(θ̂ − θ₀) < 1/α}:
 * r = √( V(V+τ²)/τ² · (2 ln(1/α) + ln(1 + τ²/V)) ).
 */
export function twoSidedRadius({ variance, tau2, alpha }: { variance: number; tau2: number; alpha: number }): number {
  return Math.sqrt(((variance * (variance + tau2)) / tau2) * (-2 * Math.log(alpha) + Math.log1p(tau2 / variance)))
}

/**
 * Radius r of the one-sided sequence: lower bound θ̂ − r with Λ₊(r) = 1/α. In the
 * standardized u = δτ/√(V(V+τ²)) this solves g(u) = u²/2 + ln Φ(u) = ln(1/α) + ½ln(1+τ²/V) − ln 2;
 * g is convex and increasing, so Newton started right of the root converges monotonically.
 */
export function oneSidedRadius({ variance, tau2, alpha }: { variance: number; tau2: number; alpha: number }): number {
  const k = Math.sqrt(tau2 / (variance * (variance + tau2)))
  const c = -Math.log(alpha) + 0.5 * Math.log1p(tau2 / variance) - LN2
  // For u ≥ 0, ln Φ(u) ≥ −ln 2, so g(√(2(c + ln 2))) ≥ c: a start right of the root.
  let u = Math.sqrt(2 * Math.max(c + LN2, 0))
  for (let i = 0; i < 60; i++) {
    const g = 0.5 * u * u + logNormalCdf(u) - c
    const slope = u + normalPdf(u) / normalCdf(u)
    const step = g / slope
    u -= step
    if (Math.abs(step) <= 1e-13 * Math.max(1, Math.abs(u))) break
  }
  return u / k
}
