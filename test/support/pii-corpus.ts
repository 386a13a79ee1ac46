/** A corpus for the PII detectors: unit tests check each value, the ingest test sends them through HTTP. */

/** Values that are PII, with the kind the detector must report. */
export const PII_CORPUS: Array<[string, string]> = [
  ['alice@example.com', 'email'],
  ['Bob.Smith+promo@mail.example.co.uk', 'email'],
  ['o\'brien_99@sub-domain.example.org', 'email'],
  ['contact me at carol@example.io please', 'email'],
  ['+49 151 12345678', 'phone'],
  ['+4915112345678', 'phone'],
  ['+1 (415) 555-2671', 'phone'],
  ['+44 20 7946 0958', 'phone'],
  ['+33 6 12 34 56 78', 'phone'],
  ['(415) 555-2671', 'phone'],
  ['415-555-2671', 'phone'],
  ['415.555.2671', 'phone'],
  ['030 1234567', 'phone'],
  ['020 7946 0958', 'phone'],
  ['06 12 34 56 78', 'phone'],
  ['0151-12345678', 'phone'],
  ['4111111111111111', 'card'], // Visa test number
  ['4111 1111 1111 1111', 'card'],
  ['4111-1111-1111-1111', 'card'],
  ['5555555555554444', 'card'], // Mastercard
  ['2223003122003222', 'card'], // Mastercard 2-series
  ['378282246310005', 'card'], // Amex
  ['3782 822463 10005', 'card'],
  ['6011111111111117', 'card'], // Discover
  ['3530111333300000', 'card'], // JCB
  ['30569309025904', 'card'], // Diners
  ['4222222222222', 'card'], // 13-digit Visa
  ['card 5105105105105100 on file', 'card'],
  ['192.168.1.20', 'ipv4'],
  ['8.8.8.8', 'ipv4'],
  ['client 203.0.113.255 via proxy', 'ipv4'],
  ['255.255.255.255', 'ipv4'],
  ['2001:db8::1', 'ipv6'],
  ['2001:0db8:85a3:0000:0000:8a2e:0370:7334', 'ipv6'],
  ['fe80::1ff:fe23:4567:890a', 'ipv6'],
  ['::1', 'ipv6'],
  ['::ffff:192.0.2.128', 'ipv6'],
  ['FE80::0202:B3FF:FE1E:8329', 'ipv6'],
]

/** Look-alikes that must stay as they are. */
export const NEAR_MISSES: string[] = [
  '2026-01-05',
  '2026-01-05T10:00:00.000Z',
  '2026-01-05 10:00:00',
  '10:30:00',
  '10:30',
  'v1.2.3',
  '1.2.3',
  '3.14159',
  '1,299.00',
  '12345',
  'order-12345678',
  '1767225600000', // epoch milliseconds (13 digits)
  '1767225600', // epoch seconds
  '4111111111111112', // Visa-shaped, fails Luhn
  '4111 1111 1111 1112',
  '1234567812345670', // passes Luhn, no issuer prefix
  '0000000000000000',
  '256.1.1.1',
  '1.2.3.4.5',
  '192.168.1',
  '00:1A:2B:3C:4D:5E', // a MAC address is not an IP
  '1:2:3',
  '::',
  '123e4567-e89b-12d3-a456-426614174000', // UUID
  'user@',
  '@handle',
  'name@localhost',
  'a@b',
  '+5',
  '+12',
  '555-1234', // too short for a phone
  '5551234567', // bare digits: an id as likely as a phone
  'DE',
  'checkout-v2',
  'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  'p95=120ms',
  '100%',
  '-42.5',
  'build 2026.01.05.1',
]
