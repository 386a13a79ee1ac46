/**
 * Bounds checked on JSON text before it is parsed. Pure.
 *
 * `JSON.parse` takes seconds over a body that is nothing but nested brackets
 * (5 s for 10 MB here), and recursive code downstream (`JSON.stringify`, error
 * formatting) overflows the stack on it, so depth is measured on the text first,
 * in one pass that stops as soon as the limit is passed.
 */

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d

/** True when arrays/objects in `text` nest deeper than `max` (brackets inside strings do not count). */
export function jsonDeeperThan(text: string, max: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === BACKSLASH) i++
      else if (c === QUOTE) inString = false
    } else if (c === QUOTE) inString = true
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) return true
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--
  }
  return false
}

/**
 * What a stored string may not contain: lone surrogates (the engine refuses the
 * whole insert over one) and C0/DEL/C1 control characters (never telemetry).
 * One pattern, so ordinary text is checked in a single pass.
 */
// eslint-disable-next-line no-control-regex
const NOT_STORABLE = /[\u0000-\u001f\u007f-\u009f]|\p{Cs}/u
const LONE_SURROGATE = /\p{Cs}/u

/** Why `s` cannot be stored as telemetry text, or null when it can. */
export function textProblem(s: string): string | null {
  const m = NOT_STORABLE.exec(s)
  if (!m) return null
  const code = m[0].charCodeAt(0)
  if (code >= 0xd800 && code <= 0xdfff) return `contains a lone UTF-16 surrogate (U+${hex(m[0])} at index ${m.index}), which the warehouse cannot store`
  return `contains control character U+${hex(m[0])} at index ${m.index}`
}

/** `s` with every lone surrogate replaced by U+FFFD, so a refused line can still be kept in dead_letters. */
export function wellFormed(s: string): string {
  return LONE_SURROGATE.test(s) ? s.replace(/\p{Cs}/gu, '\uFFFD') : s
}

function hex(c: string): string {
  return c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')
}
