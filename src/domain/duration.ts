import { z } from 'zod'

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}

/** Parses "90s", "15m", "2h", "1d12h", "1w" (or a number of seconds) to milliseconds. */
export function parseDuration(input: string | number): number | null {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input * 1000 : null
  const text = input.trim()
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/.test(text)) return null
  let total = 0
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) {
    total += Number(amount) * (UNIT_MS[unit as string] ?? 0)
  }
  return total
}

/** Formats milliseconds compactly for timelines: 90_000 → "1m30s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  const parts: string[] = []
  let rest = Math.round(ms / 1000)
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    const k = Math.floor(rest / size)
    if (k > 0) parts.push(`${k}${unit}`)
    rest -= k * size
  }
  return parts.join('')
}

/** A duration field: accepts "15m"-style strings or seconds, yields milliseconds. */
export const Duration = z
  .union([z.string(), z.number()])
  .transform((value, ctx) => {
    const ms = parseDuration(value)
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: `invalid duration ${JSON.stringify(value)} (use e.g. "30s", "15m", "2h", "1d")` })
      return z.NEVER
    }
    return ms
  })
