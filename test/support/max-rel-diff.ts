/**
 * The largest relative difference between numbers at the same place of two JSON-like values;
 * Infinity when anything else differs (a key, a length, a string). For comparing sums moved by
 * increments with one full pass, which differ in the last bits only.
 */
export function maxRelDiff(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b))
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    if (Array.isArray(a) !== Array.isArray(b) || Object.keys(a).length !== Object.keys(b).length) return Infinity
    return Math.max(0, ...Object.keys(a).map((k) => maxRelDiff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])))
  }
  return Object.is(a, b) ? 0 : Infinity
}
