/**
 * Multiplicity corrections across metrics and variants, as adjusted p-values (compare each
 * with α). Holm (1979) step-down controls the family-wise error rate; Benjamini–Hochberg
 * (1995) step-up controls the false discovery rate. The decision engine uses Holm for
 * primary metrics and guardrails (a single false "ship" or "rollback" is costly) and BH for
 * secondary metrics and interference pairs (many looks at exploratory signals).
 * Null p-values (not computable) pass through as null and do not count toward m.
 */

type P = number | null

function indexed(pValues: P[]): { p: number; i: number }[] {
  return pValues.flatMap((p, i) => (p !== null && Number.isFinite(p) ? [{ p: Math.min(1, Math.max(0, p)), i }] : []))
}

/** Holm step-down: p̃_(k) = max_{j≤k} min(1, (m − j + 1)·p_(j)). */
export function holm({ pValues }: { pValues: P[] }): { adjusted: P[] } {
  const xs = indexed(pValues).sort((a, b) => a.p - b.p)
  const m = xs.length
  const adjusted: P[] = pValues.map(() => null)
  let running = 0
  xs.forEach(({ p, i }, k) => {
    running = Math.max(running, Math.min(1, (m - k) * p))
    adjusted[i] = running
  })
  return { adjusted }
}

/** Benjamini–Hochberg step-up: p̃_(k) = min_{j≥k} min(1, m·p_(j)/j). */
export function benjaminiHochberg({ pValues }: { pValues: P[] }): { adjusted: P[] } {
  const xs = indexed(pValues).sort((a, b) => a.p - b.p)
  const m = xs.length
  const adjusted: P[] = pValues.map(() => null)
  let running = 1
  for (let k = m - 1; k >= 0; k--) {
    const { p, i } = xs[k]!
    running = Math.min(running, (m * p) / (k + 1))
    adjusted[i] = Math.min(1, running)
  }
  return { adjusted }
}
