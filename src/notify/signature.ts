import { createHmac, timingSafeEqual } from 'node:crypto'

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`, as sent in X-Runway-Signature. */
export function signBody(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`
}

/** The receiver's side (docs/notifications.md): signature matches and the timestamp is recent. */
export function verifySignature(secret: string, timestamp: string, body: string, signature: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  const ts = Number(timestamp)
  if (!Number.isInteger(ts) || Math.abs(nowSeconds - ts) > toleranceSeconds) return false
  const want = Buffer.from(signBody(secret, ts, body))
  const got = Buffer.from(signature)
  return want.length === got.length && timingSafeEqual(want, got)
}
