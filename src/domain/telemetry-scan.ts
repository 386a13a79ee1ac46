import type { EventRow, TelemetryEvent } from './telemetry.js'
import { ISO_8601 } from './telemetry-fast.js'
import { isMetric, isSlug, keyAt, keyEnd } from './telemetry-scan-keys.js'
import { canonicalAt, numEnd, numberAt, wasDigitsOnly } from './telemetry-scan-numbers.js'
import { byShape } from './telemetry-scan-shape.js'

/**
 * The usual event read straight from its line text, without JSON.parse (issue 16):
 * parsing into objects and writing rows back with JSON.stringify were most of
 * what an accepted event cost in JS. `scanEvent` reads only a strict subset of
 * JSON: one object, known keys once each, strings without escapes and without
 * anything the warehouse refuses, JSON numbers, true/false, and an attributes
 * object of the same. For such a line it returns exactly what
 * fastEvent(JSON.parse(line)) returns; anything else answers null and takes the
 * full path (JSON.parse, then fastEvent or zod), so every reason stays zod's.
 * test/unit/domain/telemetry-scan.test.ts checks the claim on generated lines, and
 * test/integration/ingest-events-in.test.ts that the engine stores the same rows.
 */

const isDigit = (c: number) => c >= 48 && c <= 57
const isWs = (c: number) => c === 32 || c === 9 || c === 10 || c === 13

/** From just after a key: skips whitespace, the colon and whitespace; the value's index, or -1 without a colon. */
function afterColon(s: string, i: number): number {
  while (isWs(s.charCodeAt(i))) i++
  if (s.charCodeAt(i) !== 58) return -1
  i++
  while (isWs(s.charCodeAt(i))) i++
  return i
}

/**
 * From the opening quote at i, the index of the closing quote of a string with no escape and
 * nothing json-limits' textProblem refuses (control characters, lone surrogates), else -1.
 * Helpers take and return positions and keep the cursor local: the hot loops stay in registers.
 */
function strEnd(s: string, i: number): number {
  if (s.charCodeAt(i) !== 34) return -1
  for (i++; ; i++) {
    const c = s.charCodeAt(i) // NaN past the end: refused below
    if (c === 34) return i
    if (c < 0x7f) {
      if (c < 0x20 || c === 92) return -1
    } else if (!(c > 0x9f)) return -1 // NaN too
    else if (c >= 0xd800 && c <= 0xdfff) {
      const d = s.charCodeAt(i + 1)
      if (c > 0xdbff || !(d >= 0xdc00 && d <= 0xdfff)) return -1
      i++
    }
  }
}

export interface ScannedLine {
  event: TelemetryEvent
  /**
   * The line itself can be handed to the engine's `events_in` table (sql/migrations/0023_events_in.sql):
   * `ts` is epoch milliseconds in digits, and every number is written as JS writes it (String(n)), so
   * the engine reads from the text exactly the values the row would hold.
   */
  verbatim: boolean
  /** Where the line's opening brace is (after any leading whitespace). */
  open: number
}

/** The event when `line` is the usual event in the subset above (same as fastEvent(JSON.parse(line))), else null. */
export function scanEvent(line: string): TelemetryEvent | null {
  return scanLine(line)?.event ?? null
}

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k)


/** The line read as above: first by the usual shape's pattern (telemetry-scan-shape.ts), else character by character. */
export function scanLine(s: string): ScannedLine | null {
  const shaped = byShape(s)
  return shaped !== undefined ? shaped : scanChars(s)
}

/** scanLine's answer for any line, read character by character. */
export function scanChars(s: string): ScannedLine | null {
  let i = 0
  while (isWs(s.charCodeAt(i))) i++
  const open = i
  if (s.charCodeAt(i) !== 123) return null
  i++
  while (isWs(s.charCodeAt(i))) i++
  let verbatim = true
  let eventId: string | null = null
  let ts: string | number | null = null
  let experimentId: string | null = null
  let variant: string | null = null
  let unitId: string | null = null
  let service: string | null = null
  let metric: string | null = null
  let value: number | null = null
  let outcome: boolean | null = null
  let attributes: Record<string, string | number | boolean> | null = null
  let seen = 0
  if (s.charCodeAt(i) === 125) return null // no fields: surely refused, by zod
  for (;;) {
    const bit = keyAt(s, i)
    if (bit === 0 || seen & bit) return null
    seen |= bit
    i = afterColon(s, keyEnd)
    if (i < 0) return null
    const c = s.charCodeAt(i)
    if (bit === 512) {
      // attributes: scalars by key. Keys starting with a digit are refused: JSON.parse would order index-like keys first.
      if (c !== 123) return null
      i++
      while (isWs(s.charCodeAt(i))) i++
      const out: Record<string, string | number | boolean> = {}
      if (s.charCodeAt(i) === 125) i++
      else for (;;) {
        const kEnd = strEnd(s, i)
        if (kEnd < 0) return null
        const k = s.slice(i + 1, kEnd)
        if (k === '__proto__' || isDigit(k.charCodeAt(0)) || hasOwn(out, k)) return null
        i = afterColon(s, kEnd + 1)
        if (i < 0) return null
        const d = s.charCodeAt(i)
        if (d === 34) {
          const vEnd = strEnd(s, i)
          if (vEnd < 0) return null
          out[k] = s.slice(i + 1, vEnd)
          i = vEnd + 1
        } else if (s.startsWith('true', i)) {
          out[k] = true
          i += 4
        } else if (s.startsWith('false', i)) {
          out[k] = false
          i += 5
        } else {
          const nEnd = numEnd(s, i)
          if (nEnd < 0) return null
          const n = numberAt(s, i, nEnd)
          if (!Number.isFinite(n)) return null
          if (verbatim && !canonicalAt(s, i, nEnd, n)) verbatim = false
          out[k] = n
          i = nEnd
        }
        while (isWs(s.charCodeAt(i))) i++
        const next = s.charCodeAt(i++)
        if (next === 125) break
        if (next !== 44) return null
        while (isWs(s.charCodeAt(i))) i++
      }
      attributes = out
    } else if (bit === 256) {
      if (s.startsWith('true', i)) {
        outcome = true
        i += 4
      } else if (s.startsWith('false', i)) {
        outcome = false
        i += 5
      } else return null
    } else if (c === 34) {
      const vEnd = strEnd(s, i)
      if (vEnd < 0) return null
      const v = s.slice(i + 1, vEnd)
      i = vEnd + 1
      if (bit === 1) eventId = v
      else if (bit === 2) {
        ts = v
        verbatim = false // an ISO time: the row's text is written from its epoch milliseconds
      } else if (bit === 4) experimentId = v
      else if (bit === 8) variant = v
      else if (bit === 16) unitId = v
      else if (bit === 32) service = v
      else if (bit === 64) metric = v
      else return null // value as a string
    } else if (bit === 2 || bit === 128) {
      const nEnd = numEnd(s, i)
      if (nEnd < 0) return null
      const n = numberAt(s, i, nEnd)
      if (bit === 2) {
        ts = n
        if (!wasDigitsOnly()) verbatim = false
      } else {
        value = n
        if (verbatim && !canonicalAt(s, i, nEnd, n)) verbatim = false
      }
      i = nEnd
    } else return null
    while (isWs(s.charCodeAt(i))) i++
    const next = s.charCodeAt(i++)
    if (next === 125) break
    if (next !== 44) return null
    while (isWs(s.charCodeAt(i))) i++
  }
  while (isWs(s.charCodeAt(i))) i++
  if (i !== s.length) return null
  // fastEvent's checks, on values whose types the scan already fixed.
  if (eventId === null || eventId.length < 1 || eventId.length > 128 || unitId === null || unitId.length < 1 || unitId.length > 256) return null
  if (experimentId === null || !isSlug(experimentId) || variant === null || !isSlug(variant) || metric === null || !isMetric(metric)) return null
  if (service !== null && (service.length < 1 || service.length > 128)) return null
  if (typeof ts === 'number') {
    if (!Number.isSafeInteger(ts) || ts < 0) return null
  } else if (ts === null || !ISO_8601.test(ts) || !(Date.parse(ts) >= 0)) return null
  if (value !== null && !Number.isFinite(value)) return null
  if ((value === null) === (outcome === null)) return null
  // One literal per shape: no property added after the object is made.
  const event: TelemetryEvent =
    value !== null
      ? { eventId, ts, experimentId, variant, unitId, service: service ?? 'unknown', metric, attributes: attributes ?? {}, value }
      : { eventId, ts, experimentId, variant, unitId, service: service ?? 'unknown', metric, attributes: attributes ?? {}, outcome: outcome! }
  return { event, verbatim, open }
}

/** A verbatim line as an `events_in` line: its batch's receive time in front (the line has at least one key). */
export function verbatimInputLine(raw: string, open: number, receivedAtMs: number): string {
  return `{"r":${receivedAtMs},${raw.slice(open + 1)}`
}

/** Any stored row as an `events_in` line (the same values the row holds; ts as epoch milliseconds). */
export function rowInputLine(row: EventRow, tsMs: number, receivedAtMs: number): string {
  return JSON.stringify({ r: receivedAtMs, eventId: row.event_id, ts: tsMs, experimentId: row.experiment_id, variant: row.variant, unitId: row.unit_id, service: row.service, metric: row.metric, value: row.value, attributes: row.attributes })
}
