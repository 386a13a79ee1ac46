/** The key and pattern helpers of scanLine (telemetry-scan.ts): pure, no I/O. */
import { METRIC, SLUG } from './telemetry-fast.js'

/** Set by keyAt: the index just after the key's closing quote. */
export let keyEnd = 0

/** The event key `name` (bit `bit`) when it is spelled in place from i + 1 and closed by a quote, else 0. */
function keyIs(s: string, i: number, name: string, bit: number): number {
  const n = name.length
  for (let k = 1; k < n; k++) if (s.charCodeAt(i + 1 + k) !== name.charCodeAt(k)) return 0
  if (s.charCodeAt(i + 1 + n) !== 34) return 0
  keyEnd = i + 2 + n
  return bit
}

/**
 * The bit of the event key whose opening quote is at i, with keyEnd set past its closing quote; 0 for
 * any other key, or a key spelled with escapes (left to the full path). The key is matched in place by
 * its first letters, never sliced and looked up: that was a tenth of a scan.
 */
export function keyAt(s: string, i: number): number {
  if (s.charCodeAt(i) !== 34) return 0
  switch (s.charCodeAt(i + 1)) {
    case 101: // e
      return s.charCodeAt(i + 2) === 118 ? keyIs(s, i, 'eventId', 1) : keyIs(s, i, 'experimentId', 4)
    case 116: // t
      return keyIs(s, i, 'ts', 2)
    case 118: // v
      return s.charCodeAt(i + 3) === 114 ? keyIs(s, i, 'variant', 8) : keyIs(s, i, 'value', 128)
    case 117: // u
      return keyIs(s, i, 'unitId', 16)
    case 115: // s
      return keyIs(s, i, 'service', 32)
    case 109: // m
      return keyIs(s, i, 'metric', 64)
    case 111: // o
      return keyIs(s, i, 'outcome', 256)
    case 97: // a
      return keyIs(s, i, 'attributes', 512)
    default:
      return 0
  }
}

/**
 * The last experiment ids, variants and metrics the patterns accepted: a batch repeats a few of them on
 * every line, and comparing with one of these is cheaper than running the pattern again. Only values
 * the pattern itself accepted are kept, so the answer is always the pattern's.
 *
 * The remembered string itself is the answer (equal to v): an event then holds it rather than the
 * line's own copy, which dies young. An accepted event's row lives until its batch is written, and the
 * garbage collector copies every string a living row holds; one shared string per batch costs nothing.
 */
const slugSeen: string[] = []
const metricSeen: string[] = []
function matches(pattern: RegExp, seen: string[], v: string): string | null {
  for (let k = 0; k < seen.length; k++) if (seen[k] === v) return seen[k]!
  if (!pattern.test(v)) return null
  if (seen.length >= 8) seen.pop()
  seen.unshift(v)
  return v
}

/** v if SLUG.test(v) (as the remembered string equal to it), else null. */
export const slugOf = (v: string) => matches(SLUG, slugSeen, v)

/** v if METRIC.test(v) (as the remembered string equal to it), else null. */
export const metricOf = (v: string) => matches(METRIC, metricSeen, v)

/** SLUG.test(v), remembered. */
export const isSlug = (v: string) => slugOf(v) !== null

/** METRIC.test(v), remembered. */
export const isMetric = (v: string) => metricOf(v) !== null
