/**
 * Whether maskText could change `text` at all, by what every detector needs
 * before its pattern can match (issue 16: masking every attribute value with
 * seven regular expressions was a large part of an event's cost, and most values
 * are short words). False means maskText surely returns `text` unchanged:
 *   email: an "@";  IPv6: two ":";  IPv4: three "." and four digits;
 *   card: 13 digits;  phone: "+" and 7 digits, or 9 digits (national and trunk forms need 10 and 9).
 * test/unit/domain/pii-fast.test.ts checks it against maskText on generated values.
 */
export function mayCarryPii(text: string): boolean {
  let digits = 0
  let colons = 0
  let dots = 0
  let plus = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c >= 48 && c <= 57) digits++
    else if (c === 64) return true
    else if (c === 58) colons++
    else if (c === 46) dots++
    else if (c === 43) plus = true
  }
  return colons >= 2 || digits >= 9 || (dots >= 3 && digits >= 4) || (plus && digits >= 7)
}
