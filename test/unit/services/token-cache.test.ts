import { describe, expect, it } from 'vitest'
import { BoundedTtlCache, RateBudget } from '../../../src/services/token-cache.js'

describe('BoundedTtlCache', () => {
  it('expires entries after the TTL, counted from the time given', () => {
    let now = 1_000
    const c = new BoundedTtlCache<number>(10, 100, () => now)
    c.set('a', 1)
    c.set('b', 2, 950) // derived from a read 50 ms ago
    now = 1_049
    expect([c.get('a'), c.get('b')]).toEqual([1, 2])
    now = 1_050
    expect([c.get('a'), c.get('b')]).toEqual([1, undefined])
    now = 1_100
    expect(c.get('a')).toBeUndefined()
  })

  it('evicts the least recently used entry at its bound, never growing past it', () => {
    const c = new BoundedTtlCache<number>(3, 1_000, () => 0)
    c.set('a', 1)
    c.set('b', 2)
    c.set('c', 3)
    expect(c.get('a')).toBe(1) // a is now the most recent
    c.set('d', 4)
    expect(c.size).toBe(3)
    expect([c.get('a'), c.get('b'), c.get('c'), c.get('d')]).toEqual([1, undefined, 3, 4])
    for (let i = 0; i < 1_000; i++) c.set(`x${i}`, i)
    expect(c.size).toBe(3)
  })

  it('a zero TTL or a zero bound caches nothing', () => {
    const ttl0 = new BoundedTtlCache<number>(10, 0, () => 0)
    ttl0.set('a', 1)
    expect(ttl0.get('a')).toBeUndefined()
    const none = new BoundedTtlCache<number>(0, 1_000, () => 0)
    none.set('a', 1)
    expect(none.size).toBe(0)
  })
})

describe('RateBudget', () => {
  it('allows perSecond takes a second, refilled continuously, no more banked', () => {
    let now = 0
    const b = new RateBudget(20, () => now)
    const takes = () => Array.from({ length: 100 }, () => b.take()).filter(Boolean).length
    expect(takes()).toBe(20)
    now = 500
    expect(takes()).toBe(10)
    now = 60_000 // a quiet minute banks one second's worth, not sixty
    expect(takes()).toBe(20)
  })
})
