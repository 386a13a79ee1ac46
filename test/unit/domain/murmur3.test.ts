import { describe, expect, it } from 'vitest'
import { BUCKETS, bucketOf, layerSalt, murmur3, variantSalt } from '../../../src/domain/assignment.js'

/**
 * An independent MurmurHash3_x86_32 over a byte array: blocks read with DataView
 * (little-endian), 32-bit arithmetic done in BigInt and masked, so it shares no
 * code path (Math.imul, shifts on int32) with the implementation under test.
 */
const M32 = 0xffffffffn
const mul = (a: bigint, b: bigint) => (a * b) & M32
const rotl = (x: bigint, r: bigint) => ((x << r) | (x >> (32n - r))) & M32
const fmix = (h: bigint) => {
  h ^= h >> 16n
  h = mul(h, 0x85ebca6bn)
  h ^= h >> 13n
  h = mul(h, 0xc2b2ae35n)
  return h ^ (h >> 16n)
}
function referenceMurmur3(bytes: Uint8Array, seed = 0): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const c1 = 0xcc9e2d51n
  const c2 = 0x1b873593n
  let h = BigInt(seed >>> 0)
  const nblocks = Math.floor(bytes.length / 4)
  for (let i = 0; i < nblocks; i++) {
    let k = BigInt(view.getUint32(i * 4, true))
    k = mul(rotl(mul(k, c1), 15n), c2)
    h = rotl(h ^ k, 13n)
    h = (mul(h, 5n) + 0xe6546b64n) & M32
  }
  let tail = 0n
  for (let j = bytes.length - 1; j >= nblocks * 4; j--) tail = (tail << 8n) | BigInt(bytes[j]!)
  if (bytes.length % 4 !== 0) h ^= mul(rotl(mul(tail, c1), 15n), c2)
  h ^= BigInt(bytes.length)
  return Number(fmix(h))
}

/** UTF-8 by hand from code points (no TextEncoder). */
function utf8(text: string): Uint8Array {
  const out: number[] = []
  for (const ch of text) {
    const cp = ch.codePointAt(0)!
    if (cp < 0x80) out.push(cp)
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f))
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f))
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f))
  }
  return Uint8Array.from(out)
}

/** Published MurmurHash3_x86_32 vectors (Appleby's SMHasher; ClickHouse murmurHash3_32 agrees). */
const VECTORS: Array<[string, number, number]> = [
  ['', 0, 0x00000000],
  ['', 1, 0x514e28b7],
  ['', 0xffffffff, 0x81f16f39],
  ['\0\0\0\0', 0, 0x2362f9de],
  ['abc', 0, 0xb3dd93fa],
  ['test', 0, 0xba6bd213],
  ['Hello, world!', 0, 0xc0363e43],
  ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
  ['a', 0x9747b28c, 0x7fa09ea6],
  ['aa', 0x9747b28c, 0x5d211726],
  ['aaa', 0x9747b28c, 0x283e0130],
  ['aaaa', 0x9747b28c, 0x5a97808a],
  ['abcd', 0x9747b28c, 0xf0478627],
  ['Hello, world!', 0x9747b28c, 0x24884cba],
  ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
  // U+03C0 GREEK SMALL LETTER PI ×8 = 16 UTF-8 bytes (CF 80 …)
  ['ππππππππ', 0x9747b28c, 0xd58063c1],
]

describe('murmur3 against published vectors', () => {
  it.each(VECTORS)('murmur3(%j, seed %d) = %d', (text, seed, expected) => {
    expect(murmur3(text, seed)).toBe(expected)
  })

  it('the default seed is 0', () => {
    expect(murmur3('abc')).toBe(0xb3dd93fa)
  })

  it.each(VECTORS)('the reference implementation agrees on %j (seed %d)', (text, seed, expected) => {
    expect(referenceMurmur3(utf8(text), seed)).toBe(expected)
  })
})

describe('murmur3 hashes UTF-8 bytes', () => {
  const samples = ['é', 'héllo wörld', '日本語テキスト', '🚀 launch', 'naïve café ✓', 'Ωmega-user-Ω', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', 'mixed ascii + Ümlaut + 中文 + 😀😀']

  it.each(samples)('%j matches the reference over hand-encoded UTF-8', (text) => {
    expect(murmur3(text)).toBe(referenceMurmur3(utf8(text)))
    expect(murmur3(text, 0x9747b28c)).toBe(referenceMurmur3(utf8(text), 0x9747b28c))
  })

  it('is not the hash of UTF-16 code units or Latin-1 bytes', () => {
    expect(murmur3('é')).not.toBe(referenceMurmur3(Uint8Array.of(0xe9)))
    const utf16 = new Uint8Array(new Uint16Array(['日'.charCodeAt(0)]).buffer)
    expect(murmur3('日')).not.toBe(referenceMurmur3(utf16))
  })

  it('agrees with the reference for every tail length and many lengths', () => {
    let text = ''
    for (let len = 0; len < 40; len++) {
      expect(murmur3(text)).toBe(referenceMurmur3(utf8(text)))
      text += String.fromCharCode(0x20 + ((len * 37) % 90))
    }
  })

  it('always returns an unsigned 32-bit integer', () => {
    for (let i = 0; i < 2_000; i++) {
      const h = murmur3(`unit-${i}`)
      expect(Number.isInteger(h)).toBe(true)
      expect(h).toBeGreaterThanOrEqual(0)
      expect(h).toBeLessThanOrEqual(0xffffffff)
    }
  })
})

describe('bucketOf', () => {
  it('is the hash of "salt:unit" modulo 10,000 (what ClickHouse SQL recomputes)', () => {
    expect(BUCKETS).toBe(10_000)
    for (const [salt, unit] of [['layer/default/default', 'user-1'], ['variant/exp-1', 'ü-42'], ['s', '']]) {
      expect(bucketOf(salt!, unit!)).toBe(referenceMurmur3(utf8(`${salt}:${unit}`)) % 10_000)
    }
  })

  it('stays in [0, 10000)', () => {
    for (let i = 0; i < 5_000; i++) {
      const b = bucketOf('layer/x/y', `u${i}`)
      expect(b).toBeGreaterThanOrEqual(0)
      expect(b).toBeLessThan(10_000)
    }
  })

  it('salts are namespaced by kind', () => {
    expect(layerSalt('web', 'checkout')).toBe('layer/web/checkout')
    expect(variantSalt('exp-1')).toBe('variant/exp-1')
  })
})
