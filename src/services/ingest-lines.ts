import { jsonDeeperThan } from '../domain/json-limits.js'
import { type ScannedLine, scanLine } from '../domain/telemetry-scan.js'
import { InputError } from '../errors.js'

/** Per-line bounds (RUNWAY_INGEST_MAX_DEPTH, RUNWAY_INGEST_MAX_LINE_BYTES). */
export interface LineLimits {
  /** Deepest nesting of arrays/objects in one event (an event with attributes is 2). */
  maxDepth: number
  /** Largest event, in UTF-8 bytes. */
  maxLineBytes: number
}

export const DEFAULT_LINE_LIMITS: LineLimits = { maxDepth: 8, maxLineBytes: 64 * 1024 }

/** One raw event with where it came from (a line number, or a Kafka offset). */
export interface SourceLine {
  line: number
  raw: string
}

export interface Line extends SourceLine {
  value?: unknown
  /** The line read by scanLine (no JSON.parse): its event valid as TelemetryEventSchema says. */
  scanned?: ScannedLine
  /** Why the line could not be read as JSON (it is dead-lettered with this reason). */
  parseError?: string
}

/**
 * A JSON body's events, parsed: the body is one document, so one nested past the limit is refused
 * whole (400, naming the limit). NDJSON bodies: ndjsonLines, each line refused alone.
 */
export function jsonBodyLines(body: string, limits: LineLimits): Line[] {
  // The array around the events is one level more.
  if (jsonDeeperThan(body, limits.maxDepth + 1)) {
    throw new InputError(`JSON body is nested deeper than ${limits.maxDepth} levels per event (RUNWAY_INGEST_MAX_DEPTH)`, [], 'JSON_TOO_DEEP')
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch (error) {
    return [{ line: 1, raw: body, parseError: `invalid JSON: ${(error as Error).message}` }]
  }
  const items = Array.isArray(parsed) ? parsed : [parsed]
  return items.map((value, i) => {
    const raw = JSON.stringify(value) ?? 'undefined'
    const tooLarge = sizeProblem(raw, limits)
    return tooLarge ? { line: i + 1, raw, parseError: tooLarge } : { line: i + 1, raw, value }
  })
}

/**
 * An NDJSON body's non-blank lines, numbered as in the body, not parsed yet: ingest parses each one just
 * before it checks it, so a line's parse objects die young instead of living for the whole batch.
 */
export function ndjsonLines(body: string): SourceLine[] {
  const lines: SourceLine[] = []
  let n = 1
  // indexOf rather than split: a 10 MB body is not copied into an array of strings first.
  for (let start = 0; start <= body.length; n++) {
    let end = body.indexOf('\n', start)
    if (end === -1) end = body.length
    const stop = lineEnd(body, start, end)
    if (!blank(body, start, stop)) lines.push({ line: n, raw: body.slice(start, stop) })
    start = end + 1
  }
  return lines
}

/** The end of the line [start, end) without a trailing carriage return. */
const lineEnd = (body: string, start: number, end: number) => (end > start && body.charCodeAt(end - 1) === 13 ? end - 1 : end)

/** Whether body[start, stop) is empty or all whitespace (as trim() sees it); a printable ASCII first character answers at once. */
function blank(body: string, start: number, stop: number): boolean {
  const c = body.charCodeAt(start)
  if (start < stop && c > 32 && c < 127) return false
  return body.slice(start, stop).trim() === ''
}

/** Parses one line within the limits; never throws. */
export function parseLine({ line, raw }: SourceLine, limits: LineLimits = DEFAULT_LINE_LIMITS): Line {
  const tooLarge = sizeProblem(raw, limits)
  if (tooLarge) return { line, raw, parseError: tooLarge }
  // The usual event is read and checked in one pass; it is 2 levels deep, within every allowed limit.
  if (limits.maxDepth >= 2) {
    const scanned = scanLine(raw)
    if (scanned !== null) return { line, raw, scanned }
  }
  if (mayBeDeeperThan(raw, limits.maxDepth) && jsonDeeperThan(raw, limits.maxDepth)) return { line, raw, parseError: `JSON nested deeper than ${limits.maxDepth} levels (RUNWAY_INGEST_MAX_DEPTH)` }
  try {
    return { line, raw, value: JSON.parse(raw) }
  } catch (error) {
    return { line, raw, parseError: `invalid JSON: ${(error as Error).message}` }
  }
}

function sizeProblem(raw: string, { maxLineBytes }: LineLimits): string | null {
  // A UTF-16 unit is 1 to 3 UTF-8 bytes: measure only when the length alone does not tell.
  if (raw.length * 3 <= maxLineBytes) return null
  const bytes = raw.length > maxLineBytes ? raw.length : Buffer.byteLength(raw)
  if (bytes <= maxLineBytes) return null
  return `event is ${raw.length > maxLineBytes ? 'at least ' : ''}${bytes} bytes; the limit is ${maxLineBytes} bytes (RUNWAY_INGEST_MAX_LINE_BYTES)`
}

/** Cheap pre-check: fewer opening brackets than the limit cannot nest past it (the usual event has 1 or 2). */
function mayBeDeeperThan(raw: string, max: number): boolean {
  let n = 0
  for (const open of ['{', '[']) {
    for (let i = raw.indexOf(open); i !== -1; i = raw.indexOf(open, i + 1)) if (++n > max) return true
  }
  return false
}
