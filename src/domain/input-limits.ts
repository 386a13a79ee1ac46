import { z } from 'zod'
import { Duration, formatDuration } from './duration.js'
import { hasControlCharacters } from './validation.js'

/**
 * Bounds on what a spec, scenario or policy file may ask for. None of them limits a
 * real experiment; each stops a typo or a generated file from asking for something
 * absurd (a 10^6-step rollout, a 300-year experiment) that would otherwise be accepted.
 */
export const LIMITS = {
  /** Longest duration anywhere (maxDuration, minDuration, windows, scenario length). */
  durationMs: 10 * 365 * 86_400_000,
  rolloutSteps: 100,
  variants: 20,
  /** Steps a scenario may simulate (duration ÷ tick). */
  scenarioTicks: 100_000,
} as const

export const durationLimitMessage = `must be at most 10 years (${formatDuration(LIMITS.durationMs)})`

/** A duration field bounded by LIMITS.durationMs (for files that are never re-parsed from storage). */
export const BoundedDuration = Duration.refine((ms) => ms <= LIMITS.durationMs, { message: durationLimitMessage })

/** Keys whose strings are free text that may span lines (tab, LF and CR allowed there). */
const MULTILINE_KEYS = new Set(['hypothesis', 'description'])

/**
 * Every string in a parsed value that holds a control character, with its path. Walking
 * the value (not listing fields) covers fields added later without anyone remembering to.
 */
export function controlCharacterIssues(value: unknown, path: PropertyKey[] = []): Array<{ path: PropertyKey[]; message: string }> {
  if (typeof value === 'string') {
    const multiline = MULTILINE_KEYS.has(String(path[path.length - 1]))
    return hasControlCharacters(value, multiline) ? [{ path, message: multiline ? 'must not contain control characters (other than tab and newline)' : 'must not contain control characters' }] : []
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => controlCharacterIssues(v, [...path, i]))
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [
      ...(hasControlCharacters(k) ? [{ path: [...path, k], message: 'key must not contain control characters' }] : []),
      ...controlCharacterIssues(v, [...path, k]),
    ])
  }
  return []
}

/** Adds the control-character issues of `value` to a zod refinement context. */
export function refineControlCharacters(value: unknown, ctx: z.RefinementCtx): void {
  for (const issue of controlCharacterIssues(value)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message })
}

/** A one-line string (a reason, a name): no control characters, bounded length. */
export const OneLine = (maxLength: number) =>
  z
    .string()
    .max(maxLength, `must be at most ${maxLength} characters`)
    .refine((s) => !hasControlCharacters(s), 'must not contain control characters (one line of text)')
