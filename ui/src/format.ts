/** Numbers and times as people read them. */
export function num(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a'
  if (x !== 0 && Math.abs(x) < 1e-3) return x.toExponential(2)
  return Number(x.toPrecision(digits)).toLocaleString('en-US', { maximumSignificantDigits: digits })
}
export const pct = (x: number | null | undefined, digits = 3) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : `${num(x * 100, digits)}%`)
export const int = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : Math.round(x).toLocaleString('en-US'))

export function time(ms: number | string | null | undefined): string {
  if (ms === null || ms === undefined) return '—'
  const d = new Date(ms)
  return Number.isNaN(d.getTime()) ? '—' : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z')
}

export function ago(ms: number, now = Date.now()): string {
  const s = Math.round((now - ms) / 1000)
  if (Math.abs(s) < 60) return `${s}s ago`
  if (Math.abs(s) < 3600) return `${Math.round(s / 60)}m ago`
  if (Math.abs(s) < 86400) return `${Math.round(s / 3600)}h ago`
  return `${Math.round(s / 86400)}d ago`
}

export function seconds(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a'
  if (x < 1) return `${num(x * 1000)} ms`
  if (x < 120) return `${num(x)} s`
  if (x < 7200) return `${num(x / 60)} min`
  if (x < 172800) return `${num(x / 3600)} h`
  return `${num(x / 86400)} d`
}

/** A reason's numbers, compactly: `effect=0.069 p=0.0097`. */
export const numbers = (n: Record<string, number | null> | undefined) =>
  Object.entries(n ?? {})
    .map(([k, v]) => `${k}=${num(v, 4)}`)
    .join(' ')

const ENDED = ['completed', 'rolled_back', 'rejected', 'cancelled', 'expired']
export const isEnded = (state: string) => ENDED.includes(state)
