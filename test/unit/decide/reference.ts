/**
 * Small, independent re-derivations of the numbers the decision engine reports, so the
 * decide/compare tests check values rather than echo the engine. Nothing here imports
 * src/stats: the normal CDF comes from simple-statistics (Numerical Recipes erfc, relative
 * error < 1.2e-7), the SRM Bayes factor is formed from exact rising factorials, the
 * multiplicity corrections are written out from their textbook definitions and the
 * two-look group-sequential boundary is found by direct numerical integration.
 */
import { errorFunction } from 'simple-statistics'

/** Φ(x), from simple-statistics' erf. */
export function phi(x: number): number {
  return 0.5 * (1 + errorFunction(x / Math.SQRT2))
}

/** Upper tail 1 − Φ(x), keeping relative accuracy for large x (erfc is what NR approximates). */
export function phiUpper(x: number): number {
  return x >= 0 ? 0.5 * (1 - errorFunction(x / Math.SQRT2)) : 1 - phiUpper(-x)
}

/** Φ⁻¹(1 − q) by bisection on phiUpper (|error| < 1e-10 on the z scale). */
export function zUpper(q: number): number {
  let lo = -10
  let hi = 40
  for (let i = 0; i < 200; i++) {
    const mid = 0.5 * (lo + hi)
    if (phiUpper(mid) > q) lo = mid
    else hi = mid
  }
  return 0.5 * (lo + hi)
}

/** Standard normal quantiles, from Python's statistics.NormalDist().inv_cdf. */
export const Z_0_025 = 1.9599639845400536

/** Variance of a difference in means from per-arm sample SDs: s_C²/n_C + s_T²/n_T. */
export const diffVariance = (sdC: number, nC: number, sdT: number, nT: number) => (sdC * sdC) / nC + (sdT * sdT) / nT

/** Two-sided normal-mixture p: 1/Λ, Λ = √(V/(V+τ²))·exp(τ²δ²/(2V(V+τ²))) (Johari et al.). */
export function mixtureP2({ delta, v, tau2 }: { delta: number; v: number; tau2: number }): number {
  const lr = Math.sqrt(v / (v + tau2)) * Math.exp((tau2 * delta * delta) / (2 * v * (v + tau2)))
  return Math.min(1, 1 / lr)
}

/**
 * One-sided (alternative δ > 0) half-normal mixture p: Λ₊ = 2Φ(δτ/√(V(V+τ²)))·Λ. Integrating
 * the likelihood ratio exp(θδ/V − θ²/(2V)) against 2·N(0,τ²) on θ > 0 gives exactly this.
 */
export function mixtureP1({ delta, v, tau2 }: { delta: number; v: number; tau2: number }): number {
  const u = (delta * Math.sqrt(tau2)) / Math.sqrt(v * (v + tau2))
  const lr = 2 * phi(u) * Math.sqrt(v / (v + tau2)) * Math.exp((tau2 * delta * delta) / (2 * v * (v + tau2)))
  return Math.min(1, 1 / lr)
}

/** Confidence-sequence mixing variance τ² = ρ²·N·V, ρ² = (−2 ln α + ln(1 − 2 ln α))/N*. */
export function confseqTau2ByHand({ v, nTotal, tuningN, alpha }: { v: number; nTotal: number; tuningN: number; alpha: number }): number {
  const l = -2 * Math.log(alpha)
  return ((l + Math.log(1 + l)) / tuningN) * nTotal * v
}

/**
 * Lindon & Malek sequential SRM p = min(1, 1/BF) with the Dirichlet prior c·p₀. For integer
 * counts Γ(a + x)/Γ(a) = a(a+1)…(a+x−1), so the Bayes factor
 *   BF = Π_i [Γ(a_i + x_i)/Γ(a_i)] / [Γ(c + n)/Γ(c)] / Π_i p₀ᵢ^{x_i}
 * is summed exactly as logs of rising factorials: no log-gamma needed.
 */
export function sequentialSrmByHand(counts: number[], weights: number[], concentration = 100): { logBf: number; p: number } {
  const w = weights.reduce((a, b) => a + b, 0)
  const p0 = weights.map((x) => x / w)
  const n = counts.reduce((a, b) => a + b, 0)
  let logBf = 0
  counts.forEach((x, i) => {
    const a = concentration * p0[i]!
    for (let k = 0; k < x; k++) logBf += Math.log(a + k)
    logBf -= x * Math.log(p0[i]!)
  })
  for (let k = 0; k < n; k++) logBf -= Math.log(concentration + k)
  return { logBf, p: Math.min(1, Math.exp(-logBf)) }
}

/** Pearson χ² of counts against weights. */
export function chiSquareByHand(counts: number[], weights: number[]): number {
  const w = weights.reduce((a, b) => a + b, 0)
  const n = counts.reduce((a, b) => a + b, 0)
  return counts.reduce((s, o, i) => {
    const e = (n * weights[i]!) / w
    return s + ((o - e) * (o - e)) / e
  }, 0)
}

/**
 * Holm (1979) from the definition: the i-th smallest p (1-based rank r) is rejected at level
 * α iff every p of rank ≤ r satisfies p_(j) ≤ α/(m − j + 1); as an adjusted p,
 * max_{j ≤ r} (m − j + 1)·p_(j), capped at 1. Ties are broken by position.
 */
export function holmByHand(ps: number[]): number[] {
  const m = ps.length
  const order = ps.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p || a.i - b.i)
  const out = new Array<number>(m)
  order.forEach(({ i }, r) => {
    let adj = 0
    for (let j = 0; j <= r; j++) adj = Math.max(adj, (m - j) * order[j]!.p)
    out[i] = Math.min(1, adj)
  })
  return out
}

/** Benjamini–Hochberg (1995) from the definition: min_{j ≥ r} m·p_(j)/j, capped at 1. */
export function bhByHand(ps: number[]): number[] {
  const m = ps.length
  const order = ps.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p || a.i - b.i)
  const out = new Array<number>(m)
  order.forEach(({ i }, r) => {
    let adj = Infinity
    for (let j = r; j < m; j++) adj = Math.min(adj, (m * order[j]!.p) / (j + 1))
    out[i] = Math.min(1, adj)
  })
  return out
}

/**
 * Lan–DeMets spending for a symmetric two-sided design, per side (the convention of
 * Lan & DeMets 1983 and gsDesign/ldbounds): each side spends α/2 through the spending
 * function, so for the O'Brien–Fleming type α_side(t) = 2 − 2Φ(z_{α/4}/√t), and for the
 * Pocock type α_side(t) = (α/2)·ln(1 + (e − 1)t).
 */
export function spentPerSide(spending: 'obf' | 'pocock', t: number, alpha: number): number {
  if (t >= 1) return alpha / 2
  return spending === 'obf' ? 2 * phiUpper(zUpper(alpha / 4) / Math.sqrt(t)) : (alpha / 2) * Math.log(1 + (Math.E - 1) * t)
}

/** First-look boundary: P(Z₁ ≥ c₁) = α_side(t₁). */
export const firstLookBoundary = (spending: 'obf' | 'pocock', t1: number, alpha: number) => zUpper(spentPerSide(spending, t1, alpha))

/**
 * Second-look boundary by direct integration: c₂ solves P(|Z₁| < c₁, Z₂ ≥ c₂) = α_side(t₂) − α_side(t₁),
 * (Z₁, Z₂) bivariate normal with correlation ρ = √(t₁/t₂), so Z₂ | Z₁ = z ~ N(ρz, 1 − ρ²).
 * Simpson on 4,000 panels over (−c₁, c₁), bisection on c₂.
 */
export function secondLookBoundary({ spending, t1, t2, alpha }: { spending: 'obf' | 'pocock'; t1: number; t2: number; alpha: number }): number {
  const c1 = firstLookBoundary(spending, t1, alpha)
  const spend = spentPerSide(spending, t2, alpha) - spentPerSide(spending, t1, alpha)
  const rho = Math.sqrt(t1 / t2)
  const s = Math.sqrt(1 - rho * rho)
  const density = (z: number) => Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI)
  const cross = (c2: number) => {
    const panels = 4_000
    const h = (2 * c1) / panels
    let acc = 0
    for (let k = 0; k <= panels; k++) {
      const z = -c1 + k * h
      const wgt = k === 0 || k === panels ? 1 : k % 2 === 1 ? 4 : 2
      acc += wgt * density(z) * phiUpper((c2 - rho * z) / s)
    }
    return (acc * h) / 3
  }
  let lo = 0
  let hi = 8
  for (let i = 0; i < 60; i++) {
    const mid = 0.5 * (lo + hi)
    if (cross(mid) > spend) lo = mid
    else hi = mid
  }
  return 0.5 * (lo + hi)
}
