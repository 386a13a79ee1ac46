/**
 * Seeded pseudo-random numbers for reproducible simulations: xoshiro128** (Blackman &
 * Vigna 2018) seeded through splitmix32, Marsaglia's polar method for normals and
 * Marsaglia & Tsang (2000) for gamma/chi-square variates. Pure: state lives in the returned object.
 */

export interface Rng {
  /** Uniform on [0, 1). */
  uniform(): number
  /** Standard normal. */
  normal(): number
  /** Gamma(shape, 1). */
  gamma(shape: number): number
  /** Chi-square with k degrees of freedom. */
  chiSquare(k: number): number
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
}

/** A generator fully determined by `seed` (any finite number; fractional parts are mixed in). */
export function createRng({ seed }: { seed: number }): Rng {
  const mix = splitmix32((seed >>> 0) ^ Math.floor((seed % 1) * 2 ** 32) ^ Math.floor(seed / 2 ** 32))
  let a = mix()
  let b = mix()
  let c = mix()
  let d = mix()
  if ((a | b | c | d) === 0) a = 1
  const next32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0
    const t = b << 9
    c ^= a
    d ^= b
    b ^= c
    a ^= d
    c ^= t
    d = rotl(d, 11)
    return result
  }
  const uniform = (): number => (next32() * 2 ** 21 + (next32() >>> 11)) / 2 ** 53
  let spare: number | null = null
  const normal = (): number => {
    if (spare !== null) {
      const s = spare
      spare = null
      return s
    }
    for (;;) {
      const u = 2 * uniform() - 1
      const v = 2 * uniform() - 1
      const s = u * u + v * v
      if (s > 0 && s < 1) {
        const f = Math.sqrt((-2 * Math.log(s)) / s)
        spare = v * f
        return u * f
      }
    }
  }
  const gamma = (shape: number): number => {
    if (shape < 1) return gamma(shape + 1) * Math.pow(1 - uniform(), 1 / shape)
    const dd = shape - 1 / 3
    const cc = 1 / Math.sqrt(9 * dd)
    for (;;) {
      let x: number
      let v: number
      do {
        x = normal()
        v = 1 + cc * x
      } while (v <= 0)
      v = v * v * v
      const u = 1 - uniform()
      if (Math.log(u) < 0.5 * x * x + dd - dd * v + dd * Math.log(v)) return dd * v
    }
  }
  return { uniform, normal, gamma, chiSquare: (k) => 2 * gamma(k / 2) }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0
}
