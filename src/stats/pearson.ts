/**
 * Pearson's product-moment correlation of two equally long, finite series (the caller
 * checks lengths and finiteness), by centred sums: null when either series has zero
 * variance, where r is undefined. Clamped to [−1, 1] against rounding.
 */
export function pearson(x: readonly number[], y: readonly number[]): number | null {
  const n = x.length
  const mx = x.reduce((a, b) => a + b, 0) / n
  const my = y.reduce((a, b) => a + b, 0) / n
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx
    const dy = y[i]! - my
    sxy += dx * dy
    sxx += dx * dx
    syy += dy * dy
  }
  if (!(sxx > 0 && syy > 0)) return null
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)))
}
