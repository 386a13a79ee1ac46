/**
 * PII detectors for telemetry attribute values. Each detector finds candidates with a
 * regular expression and confirms them where the format allows (Luhn for cards, group
 * counts for IPv6), so that dates, times, versions, ids and timestamps stay readable.
 * A match is replaced by a token naming its kind, e.g. "[email]".
 */

export type PiiKind = 'email' | 'card' | 'ipv6' | 'ipv4' | 'phone'

interface Detector {
  kind: PiiKind
  pattern: RegExp
  confirm?: (match: string) => boolean
}

/** Luhn checksum over the digits of a candidate card number. */
export function luhnValid(digits: string): boolean {
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48
    if (i % 2 === 1) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return digits.length > 0 && sum % 10 === 0
}

/**
 * Issuer prefixes (Visa 4, Mastercard 51-55 and 2221-2720, Amex 34/37, Diners 30/36/38,
 * Discover/UnionPay 6, JCB 35) with their lengths. Requiring a prefix keeps 13-digit epoch
 * milliseconds (which start with 1) and other long ids from passing Luhn by chance (1 in 10).
 */
const CARD_PREFIX = /^(4\d{12}(\d{3}){0,2}|5[1-5]\d{14}|2(22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)\d{12}|3[47]\d{13}|3[068]\d{12}|6\d{15,18}|35\d{14})$/

export function isCardNumber(candidate: string): boolean {
  const digits = candidate.replace(/[ -]/g, '')
  return CARD_PREFIX.test(digits) && luhnValid(digits)
}

/** Eight 16-bit groups, or fewer around one "::"; a trailing dotted IPv4 counts as two. */
export function isIPv6(candidate: string): boolean {
  let text = candidate
  let extra = 0
  const v4 = /:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text)
  if (v4) {
    if (!v4[1]!.split('.').every((o) => Number(o) <= 255)) return false
    text = text.slice(0, v4.index + 1) + '0' // stands in for the last group
    extra = 1
  }
  const halves = text.split('::')
  if (halves.length > 2) return false
  const groups = halves.flatMap((h) => (h === '' ? [] : h.split(':')))
  if (!groups.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false
  if (!/[0-9A-Fa-f]/.test(text)) return false // "::" alone says nothing about anyone
  const count = groups.length + extra
  return halves.length === 2 ? count <= 7 : count === 8
}

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)'

/** Order matters: each detector runs on the text the previous ones left, so card digits are gone before phones are sought. */
const DETECTORS: Detector[] = [
  { kind: 'email', pattern: /(?<![\w.%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}(?![\w-])/g },
  // 13-19 digits, optionally in groups separated by single spaces or hyphens.
  { kind: 'card', pattern: /(?<![\w+-])\d(?:[ -]?\d){12,18}(?![\w-])/g, confirm: isCardNumber },
  { kind: 'ipv6', pattern: /(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?(?![\w:])/g, confirm: isIPv6 },
  { kind: 'ipv4', pattern: new RegExp(`(?<![\\w.])${OCTET}(?:\\.${OCTET}){3}(?!\\.?\\d)(?![\\w])`, 'g') },
  // E.164 with optional separators: "+" then 7-15 digits.
  { kind: 'phone', pattern: /(?<![\w+])\+[1-9](?:[ .-]?\(?\d\)?){6,14}(?![\w])/g, confirm: (m) => countDigits(m) >= 7 && countDigits(m) <= 15 },
  // National formats need separators, so bare digit runs (ids, amounts) are not phones:
  // (555) 123-4567, 555-123-4567, 555.123.4567
  { kind: 'phone', pattern: /(?<![\w.-])(?:\(\d{3}\)\s?|\d{3}[.-])\d{3}[.-]\d{4}(?![\w.-]?\d)/g },
  // trunk prefix 0 with spaces: 030 1234567, 020 7946 0958, 06 12 34 56 78, 0151 12345678
  { kind: 'phone', pattern: /(?<![\w.:-])0\d{1,4}(?:[ /-]\d{2,8}){1,4}(?![\w.:-]?\d)/g, confirm: (m) => countDigits(m) >= 9 && countDigits(m) <= 12 },
]

function countDigits(s: string): number {
  let n = 0
  for (const c of s) if (c >= '0' && c <= '9') n++
  return n
}

export interface MaskResult {
  value: string
  /** Values replaced (each match once). */
  masked: number
  kinds: PiiKind[]
}

/** Replaces every detected email, card number, IP address and phone number in `text`. */
export function maskText(text: string): MaskResult {
  let value = text
  let masked = 0
  const kinds: PiiKind[] = []
  for (const d of DETECTORS) {
    value = value.replace(d.pattern, (match) => {
      if (d.confirm && !d.confirm(match)) return match
      masked++
      if (!kinds.includes(d.kind)) kinds.push(d.kind)
      return `[${d.kind}]`
    })
  }
  return { value, masked, kinds }
}

/** What ingest does to an event's attributes, from the namespace's data rules. */
export interface AttributeRules {
  /** Names kept; undefined keeps every attribute. */
  allowAttributes?: ReadonlyArray<string>
  /** Names masked wholesale, compared case-insensitively. */
  piiFields: ReadonlyArray<string>
  maskPii: boolean
}

export const MASKED_FIELD = '[masked]'

/** Drops attributes off the allow-list, masks configured fields wholesale and detected PII in the rest. */
export function scrubAttributes(attributes: Record<string, string>, rules: AttributeRules): { attributes: Record<string, string>; masked: number; dropped: number } {
  const allow = rules.allowAttributes ? new Set(rules.allowAttributes) : null
  const fields = new Set(rules.piiFields.map((f) => f.toLowerCase()))
  const out: Record<string, string> = {}
  let masked = 0
  let dropped = 0
  for (const [key, raw] of Object.entries(attributes)) {
    if (allow && !allow.has(key)) {
      dropped++
      continue
    }
    if (fields.has(key.toLowerCase())) {
      out[key] = MASKED_FIELD
      masked++
      continue
    }
    if (!rules.maskPii) {
      out[key] = raw
      continue
    }
    const m = maskText(raw)
    out[key] = m.value
    masked += m.masked
  }
  return { attributes: out, masked, dropped }
}
