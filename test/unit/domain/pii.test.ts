import { describe, expect, it } from 'vitest'
import { MASKED_FIELD, isCardNumber, isIPv6, luhnValid, maskText, scrubAttributes } from '../../../src/domain/pii.js'
import { NEAR_MISSES, PII_CORPUS } from '../../support/pii-corpus.js'

describe('detector corpus', () => {
  it.each(PII_CORPUS)('masks %j as %s', (text, kind) => {
    const m = maskText(text)
    expect(m.kinds).toContain(kind)
    expect(m.masked).toBeGreaterThanOrEqual(1)
    expect(m.value).toContain(`[${kind}]`)
    // Nothing of the value is left: no digit run of 4+ (cards, phones) or "@" (emails).
    expect(m.value).not.toMatch(/\d{4}|@/)
  })

  it.each(NEAR_MISSES)('leaves %j alone', (text) => {
    expect(maskText(text)).toEqual({ value: text, masked: 0, kinds: [] })
  })

  it('masks several values in one string and counts each', () => {
    const m = maskText('alice@example.com called +4915112345678 from 10.0.0.7 and 10.0.0.8, paid 4111111111111111')
    expect(m.value).toBe('[email] called [phone] from [ipv4] and [ipv4], paid [card]')
    expect(m.masked).toBe(5)
    expect(m.kinds.sort()).toEqual(['card', 'email', 'ipv4', 'phone'])
  })

  it('keeps the text around a match', () => {
    expect(maskText('ip=192.168.0.1;').value).toBe('ip=[ipv4];')
    expect(maskText('<bob@example.com>').value).toBe('<[email]>')
  })
})

describe('luhnValid and isCardNumber', () => {
  it('checks the Luhn sum', () => {
    expect(luhnValid('79927398713')).toBe(true)
    expect(luhnValid('79927398710')).toBe(false)
    expect(luhnValid('')).toBe(false)
  })

  it('needs an issuer prefix and length as well as the checksum', () => {
    expect(isCardNumber('4111 1111 1111 1111')).toBe(true)
    expect(isCardNumber('4111111111111112')).toBe(false)
    expect(isCardNumber('1234567812345670')).toBe(false)
    expect(isCardNumber('41111111111111111')).toBe(false) // 17-digit Visa
  })
})

describe('isIPv6', () => {
  it.each(['::1', '1::', '2001:db8::', '1:2:3:4:5:6:7:8', '::ffff:1.2.3.4', '1:2:3:4:5:6:1.2.3.4'])('accepts %s', (a) => expect(isIPv6(a)).toBe(true))
  it.each(['1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::1', '::', '::ffff:1.2.3.999', '1:2:3:4:5:6:7:1.2.3.4'])('rejects %s', (a) => expect(isIPv6(a)).toBe(false))
})

describe('scrubAttributes', () => {
  const attrs = { country: 'DE', email: 'x', note: 'reach me at dana@example.com', Customer_Name: 'Dana Scully', device: 'ios' }

  it('masks detected PII and counts it, keeping everything else', () => {
    expect(scrubAttributes(attrs, { piiFields: [], maskPii: true })).toEqual({
      attributes: { ...attrs, note: 'reach me at [email]' },
      masked: 1,
      dropped: 0,
    })
  })

  it('masks configured fields wholesale, whatever their case', () => {
    const r = scrubAttributes(attrs, { piiFields: ['customer_name', 'EMAIL'], maskPii: true })
    expect(r.attributes).toMatchObject({ Customer_Name: MASKED_FIELD, email: MASKED_FIELD, note: 'reach me at [email]' })
    expect(r.masked).toBe(3)
  })

  it('drops attributes off the allow-list and counts them; dropped values are not also counted as masked', () => {
    const r = scrubAttributes(attrs, { allowAttributes: ['country', 'device'], piiFields: ['customer_name'], maskPii: true })
    expect(r).toEqual({ attributes: { country: 'DE', device: 'ios' }, masked: 0, dropped: 3 })
  })

  it('maskPii false turns the detectors off but keeps configured fields', () => {
    const r = scrubAttributes(attrs, { piiFields: ['customer_name'], maskPii: false })
    expect(r.attributes.note).toBe('reach me at dana@example.com')
    expect(r.attributes.Customer_Name).toBe(MASKED_FIELD)
    expect(r.masked).toBe(1)
  })

  it('an empty allow-list drops every attribute', () => {
    expect(scrubAttributes({ a: '1', b: '2' }, { allowAttributes: [], piiFields: [], maskPii: true })).toEqual({ attributes: {}, masked: 0, dropped: 2 })
  })
})
