/**
 * Numbers as scanLine reads them (telemetry-scan.ts, telemetry-scan-shape.ts): pure, no I/O. numEnd reads one
 * and leaves what it learnt in this module's state, which numberAt and canonicalAt read for that number.
 */

const isDigit = (c: number) => c >= 48 && c <= 57

/** Set by numEnd: the number was digits only (no sign, point or exponent). */
let digitsOnly = true
/** Whether the number numEnd just read was digits only. */
export const wasDigitsOnly = () => digitsOnly
/**
 * Set by numEnd: the number's value when numEnd could compute it exactly, else NaN (then Number(text)).
 * That is a number without exponent of at most 15 significant digits and at most 22 after the point:
 * its digits as an integer m < 10^15 < 2^53 and 10^k are exact doubles, so m / 10^k is the correctly
 * rounded value of the text, which is what Number(text) is (the classic exact fast path of decimal parsing).
 */
let numValue = Number.NaN
/**
 * Set by numEnd when numValue is set: the text is String(numValue) exactly, in plain decimal form. A text
 * of at most 15 significant digits is the only such decimal that rounds to its double (two distinct ones
 * differ by at least 1e-15 relatively, more than a double's spacing), so String(n) writes its digits;
 * it writes them as the text does when the text has no leading zero (numEnd's grammar), no trailing
 * zero after the point, and, below 1, at most 5 zeros after the point (below 1e-6 String(n) writes an
 * exponent). False means: ask String(n).
 */
let numPlain = false
// Parsed, not computed: 1e0…1e22 are exact doubles, and parsing is correctly rounded (a power function need not be).
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`))

/** From i, the end of a JSON number (its grammar exactly: no leading zeros, digits after a point), else -1; sets digitsOnly, numValue, numPlain. */
export function numEnd(s: string, i: number): number {
  digitsOnly = true
  numValue = Number.NaN
  numPlain = false
  let negative = false
  if (s.charCodeAt(i) === 45) {
    i++
    negative = true
    digitsOnly = false
  }
  // m: the digits read so far as an integer (exact while sig <= 15); sig: significant digits (from the first non-zero).
  let m = 0
  let sig = 0
  const first = s.charCodeAt(i)
  if (first === 48) i++
  else if (first >= 49 && first <= 57) {
    m = first - 48
    sig = 1
    for (let c = s.charCodeAt(++i); isDigit(c); c = s.charCodeAt(++i)) {
      m = m * 10 + (c - 48)
      sig++
    }
  } else return -1
  let fraction = 0
  let last = 0
  if (s.charCodeAt(i) === 46) {
    digitsOnly = false
    let c = s.charCodeAt(++i)
    if (!isDigit(c)) return -1
    for (; isDigit(c); c = s.charCodeAt(++i)) {
      m = m * 10 + (c - 48)
      if (sig > 0 || c !== 48) sig++
      fraction++
      last = c
    }
  }
  const e = s.charCodeAt(i)
  if (e === 101 || e === 69) {
    digitsOnly = false
    const sign = s.charCodeAt(++i)
    if (sign === 43 || sign === 45) i++
    if (!isDigit(s.charCodeAt(i))) return -1
    while (isDigit(s.charCodeAt(++i)));
    return i
  }
  if (sig <= 15 && fraction <= 22) {
    const v = fraction === 0 ? m : m / POW10[fraction]!
    numValue = negative ? -v : v
    // Digits only: no sign, no leading zero, so the text is String(m). With a point: see numPlain.
    numPlain = digitsOnly || (fraction > 0 && last !== 48 && fraction - sig <= 5)
  }
  return i
}

const NO_EXPONENT = /^-?\d+\.\d+$/

/**
 * The engine reads a number's text itself: only the text JS would write for it (String(n)), in plain decimal form.
 * numEnd answers for most texts without String(n) (numPlain); the rest are asked.
 */
const canonical = (text: string, n: number) => (digitsOnly ? String(n) === text : NO_EXPONENT.test(text) && String(n) === text)

/** The value of the number text s[i, end) that numEnd just read. */
export const numberAt = (s: string, i: number, end: number) => (Number.isNaN(numValue) ? Number(s.slice(i, end)) : numValue)

/** Whether the number text s[i, end) that numEnd just read, of value n, is canonical (see canonical). */
export const canonicalAt = (s: string, i: number, end: number, n: number) => numPlain || canonical(s.slice(i, end), n)


/**
 * The last number texts that needed Number and String (more than 15 significant digits, or an exponent) with
 * what those gave: a batch repeats a few such values (a ratio, a price), and one Map look-up of the whole
 * text costs less than both. Only their answers are kept, so the answer is always theirs.
 */
const slow = new Map<string, { value: number; canonical: boolean }>()
let textCanonical = false

/**
 * The value of a whole number text (a pattern's capture, in JSON's number grammar), with textIsCanonical()
 * then answering canonicalAt for it: the same answers as numEnd + numberAt + canonicalAt.
 */
export function valueOfText(t: string): number {
  // The map holds only texts numEnd left to Number and String, so a hit is their answer whichever is asked
  // first; a text of 16 characters or more (1/7 is 19) mostly is one, and the look-up then saves numEnd's read.
  let seen = t.length >= 16 ? slow.get(t) : undefined
  if (seen !== undefined) {
    textCanonical = seen.canonical
    return seen.value
  }
  numEnd(t, 0)
  if (numPlain) {
    textCanonical = true
    return numValue
  }
  seen = slow.get(t)
  if (seen !== undefined) {
    textCanonical = seen.canonical
    return seen.value
  }
  const value = numberAt(t, 0, t.length)
  textCanonical = canonicalAt(t, 0, t.length, value)
  // Bounded: a batch of all-different values only pays for the look-up.
  if (slow.size >= 64) slow.clear()
  slow.set(t, { value, canonical: textCanonical })
  return value
}

/** Whether the text valueOfText just read is canonical (canonicalAt). */
export const textIsCanonical = () => textCanonical
