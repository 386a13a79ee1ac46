/**
 * The usual line matched by one pattern, before scanLine's character loop (issue 16 item 1): the
 * engine's compiled regular expression reads the line's fixed parts (keys, quotes, commas) faster
 * than a JS loop over its characters, which was half of what an accepted event cost in JS.
 *
 * The shape is what JSON.stringify writes for the usual event, in the two key orders that senders use
 * (bench and hand-written: …metric, value|outcome, attributes; the SDK: …metric, attributes,
 * value|outcome): no whitespace, no escapes, no surrogates, service and attributes optional, ts in
 * digits. A line of that shape whose values pass scanLine's checks gets exactly scanLine's answer; any
 * other line, or any doubt (a key scanLine refuses, a slug that does not match), is left to scanLine
 * (answer undefined), which decides. test/unit/domain/telemetry-scan.test.ts checks both against
 * JSON.parse + zod on generated lines, many of them of this shape.
 */
import type { TelemetryEvent } from './telemetry.js'
import { metricOf, slugOf } from './telemetry-scan-keys.js'
import { textIsCanonical, valueOfText } from './telemetry-scan-numbers.js'
import type { ScannedLine } from './telemetry-scan.js'

/** A string's characters: none that scanLine's strEnd refuses (controls, backslash, 0x7f–0x9f), no quote, and no surrogate at all (pairs are left to scanLine). */
const CHARS = '[^"\\\\\\u0000-\\u001f\\u007f-\\u009f\\ud800-\\udfff]*'
/** A JSON number (its grammar exactly, as numEnd reads it). */
const NUMBER = '-?(?:0|[1-9]\\d*)(?:\\.\\d+)?(?:[eE][+-]?\\d+)?'
const PAIR_TEXT = `"${CHARS}":(?:"${CHARS}"|true|false|${NUMBER})`
/** The attributes object's inside, checked whole here and then read pair by pair with indexOf. */
const BODY = `(?:${PAIR_TEXT}(?:,${PAIR_TEXT})*)?`
const OUTCOME = `(?:"value":${NUMBER}|"outcome":(?:true|false))`
/**
 * No capture group: SHAPE only says whether the line is of the shape, then byShape finds each value with
 * indexOf, whose positions the shape fixes. Building the 13 captures' strings on every exec cost more than
 * the match itself (micro-run: exec 374–656 ns/line against test 184–373 without groups).
 */
const SHAPE = new RegExp(
  `^\\{"eventId":"${CHARS}","ts":(?:0|[1-9]\\d*),"experimentId":"${CHARS}","variant":"${CHARS}","unitId":"${CHARS}",(?:"service":"${CHARS}",)?"metric":"${CHARS}",` +
    `(?:${OUTCOME}(?:,"attributes":\\{${BODY}\\})?|"attributes":\\{${BODY}\\},${OUTCOME})\\}$`,
)
const MAX_SHAPED = 16 * 1024

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k)

/** The last service name read, kept as one string (see slugOf): a batch's lines mostly name one. */
let lastService = ''
function serviceOf(v: string): string {
  if (v === lastService) return lastService
  lastService = v
  return v
}

/** scanLine's answer for a line of the usual shape; undefined: not that shape (or in doubt), ask scanLine. */
export function byShape(s: string): ScannedLine | undefined {
  // A usual event is well under 1 KB; a long line (many attributes) is left to the loop, so the pattern's
  // backtracking stack never grows with what a sender writes.
  if (s.length > MAX_SHAPED) return undefined
  if (!SHAPE.test(s)) return undefined
  // The shape fixes every key and separator, and no string in it holds a quote, so each value ends at the
  // next quote (a number: at the next comma, or the line's closing brace). Offsets are the fixed texts' lengths.
  let e = s.indexOf('"', 12) // after {"eventId":"
  const eventId = s.slice(12, e)
  let p = e + 7 // ","ts":
  e = s.indexOf(',', p)
  const ts = tsOf(s, p, e)
  p = e + 17 // ,"experimentId":"
  e = s.indexOf('"', p)
  const experimentText = s.slice(p, e)
  p = e + 13 // ","variant":"
  e = s.indexOf('"', p)
  const variantText = s.slice(p, e)
  p = e + 12 // ","unitId":"
  e = s.indexOf('"', p)
  const unitId = s.slice(p, e)
  p = e + 3 // ","
  let service: string | undefined
  if (s.charCodeAt(p) === 115) {
    p += 10 // service":"
    e = s.indexOf('"', p)
    service = serviceOf(s.slice(p, e))
    p = e + 3
  }
  p += 9 // metric":"
  e = s.indexOf('"', p)
  const metricText = s.slice(p, e)
  p = e + 3 // ","
  // Then value|outcome and the optional attributes (bench order), or attributes then value|outcome (SDK order).
  let body = ''
  let tail = p
  if (s.charCodeAt(p) === 97) {
    // attributes":{ … },"value|outcome": the last '},"' is the body's end: what follows it (a number, true or false) holds none.
    const close = s.lastIndexOf('},"')
    body = s.slice(p + 13, close)
    tail = close + 3
  }
  let valueText: string | undefined
  let outcome = false
  let after: number // the index just past value|outcome
  if (s.charCodeAt(tail) === 118) {
    const v = tail + 7 // value":
    const comma = s.indexOf(',', v)
    after = comma < 0 || tail !== p ? s.length - 1 : comma
    valueText = s.slice(v, after)
  } else {
    const v = tail + 9 // outcome":
    outcome = s.charCodeAt(v) === 116
    after = v + (outcome ? 4 : 5)
  }
  if (tail === p && after < s.length - 1) body = s.slice(after + 15, s.length - 2) // ,"attributes":{ … }}
  if (eventId.length < 1 || eventId.length > 128 || unitId.length < 1 || unitId.length > 256) return undefined
  if (service !== undefined && (service.length < 1 || service.length > 128)) return undefined
  // The remembered equal strings (slugOf, serviceOf): the line's own copies die young.
  const experimentId = slugOf(experimentText)
  const variant = slugOf(variantText)
  const metric = metricOf(metricText)
  if (experimentId === null || variant === null || metric === null) return undefined
  if (!Number.isSafeInteger(ts)) return undefined
  let verbatim = true
  let value: number | null = null
  if (valueText !== undefined) {
    value = valueOfText(valueText)
    if (!Number.isFinite(value)) return undefined
    if (!textIsCanonical()) verbatim = false
  }
  const attributes = attributesOf(body)
  if (attributes === undefined) return undefined
  if (!bodyCanonical) verbatim = false
  // scanLine's literals, so both give objects of one shape.
  const event: TelemetryEvent =
    value !== null
      ? { eventId, ts, experimentId, variant, unitId, service: service ?? 'unknown', metric, attributes, value }
      : { eventId, ts, experimentId, variant, unitId, service: service ?? 'unknown', metric, attributes, outcome }
  return { event, verbatim, open: 0 }
}

/**
 * ts as SHAPE matched it (`0|[1-9]\d*`, s[from, to)): up to 15 digits its value is the digits read as an integer, exactly
 * (< 10^15 < 2^53, so every step is exact and the result a safe integer, as Number(text) gives); longer texts
 * take valueOfText, which gives Number(text) and lets the caller's isSafeInteger refuse as before. The loop
 * costs less than numEnd's general grammar and state, which was a quarter of the scan's own time.
 */
function tsOf(s: string, from: number, to: number): number {
  if (to - from > 15) return valueOfText(s.slice(from, to))
  let n = 0
  for (let k = from; k < to; k++) n = n * 10 + (s.charCodeAt(k) - 48)
  return n
}

/**
 * The last attributes texts read (up to BODIES), each with its object and whether its numbers were canonical.
 * Lines of a batch mostly carry a few attribute sets, often interleaved (region eu/us/eu…): the events with
 * the same text share one object, frozen (nothing changes an event's attributes in place; masking writes a
 * new object), so a batch's living rows do not each hold a copy for the garbage collector to move. One
 * remembered text missed on every change of set, and a miss re-reads the body (a fifth of the scan).
 */
const BODIES = 8
const bodies: string[] = []
const bodyObjects: Array<Record<string, string | number | boolean>> = []
const bodyCanonicals: boolean[] = []
let bodyCanonical = true
/** Where the next new body is written (oldest out first). */
let bodyNext = 0

/** The attributes of a body SHAPE matched (its inside), with bodyCanonical set; undefined: scanLine decides. */
function attributesOf(body: string): Record<string, string | number | boolean> | undefined {
  for (let k = 0; k < bodies.length; k++)
    if (bodies[k] === body) {
      bodyCanonical = bodyCanonicals[k]!
      return bodyObjects[k]!
    }
  const attributes: Record<string, string | number | boolean> = {}
  let canonical = true
  // SHAPE matched the body, so its grammar is known: quoted keys and strings hold no quote or escape, and a
  // number holds no comma. Each part is found with indexOf, not matched again.
  for (let i = 0; i < body.length; ) {
    const kEnd = body.indexOf('"', i + 1)
    const k = body.slice(i + 1, kEnd)
    // As scanLine: a key JSON.parse would order first (index-like), '__proto__' and a repeated key are its to refuse.
    const first = k.charCodeAt(0)
    if (k === '__proto__' || (first >= 48 && first <= 57) || hasOwn(attributes, k)) return undefined
    const v = kEnd + 2
    const c = body.charCodeAt(v)
    let next: number
    if (c === 34) {
      const vEnd = body.indexOf('"', v + 1)
      attributes[k] = body.slice(v + 1, vEnd)
      next = vEnd + 1
    } else if (c === 116) {
      attributes[k] = true
      next = v + 4
    } else if (c === 102) {
      attributes[k] = false
      next = v + 5
    } else {
      const comma = body.indexOf(',', v)
      next = comma < 0 ? body.length : comma
      const n = valueOfText(body.slice(v, next))
      if (!Number.isFinite(n)) return undefined
      if (!textIsCanonical()) canonical = false
      attributes[k] = n
    }
    i = next + 1 // past the comma
  }
  const frozen = Object.freeze(attributes)
  bodies[bodyNext] = body
  bodyObjects[bodyNext] = frozen
  bodyCanonicals[bodyNext] = canonical
  bodyNext = (bodyNext + 1) % BODIES
  bodyCanonical = canonical
  return frozen
}
