import { describe, expect, it } from 'vitest'
import { Attributes, matchesTargeting } from '../../../src/domain/targeting.js'

type Rule = { attribute: string; op: 'in' | 'not_in'; values: string[] }
const inRule = (attribute: string, ...values: string[]): Rule => ({ attribute, op: 'in', values })
const notIn = (attribute: string, ...values: string[]): Rule => ({ attribute, op: 'not_in', values })

describe('matchesTargeting', () => {
  it('no rules targets everyone, even without attributes', () => {
    expect(matchesTargeting([], {})).toBe(true)
    expect(matchesTargeting([], { country: 'DE' })).toBe(true)
  })

  it('`in` holds when the attribute is one of the values', () => {
    const rules = [inRule('country', 'DE', 'AT', 'CH')]
    expect(matchesTargeting(rules, { country: 'AT' })).toBe(true)
    expect(matchesTargeting(rules, { country: 'FR' })).toBe(false)
  })

  it('`in` fails when the attribute is missing', () => {
    expect(matchesTargeting([inRule('country', 'DE')], { plan: 'pro' })).toBe(false)
  })

  it('`not_in` holds when the attribute is not listed, or missing', () => {
    const rules = [notIn('plan', 'enterprise')]
    expect(matchesTargeting(rules, { plan: 'free' })).toBe(true)
    expect(matchesTargeting(rules, {})).toBe(true)
    expect(matchesTargeting(rules, { plan: 'enterprise' })).toBe(false)
  })

  it('matching is exact: case and whitespace matter', () => {
    const rules = [inRule('country', 'DE')]
    expect(matchesTargeting(rules, { country: 'de' })).toBe(false)
    expect(matchesTargeting(rules, { country: 'DE ' })).toBe(false)
    expect(matchesTargeting(rules, { country: '' })).toBe(false)
  })

  it('every rule must hold (AND)', () => {
    const rules = [inRule('country', 'DE', 'AT'), notIn('plan', 'enterprise'), inRule('platform', 'ios')]
    expect(matchesTargeting(rules, { country: 'DE', plan: 'free', platform: 'ios' })).toBe(true)
    expect(matchesTargeting(rules, { country: 'DE', plan: 'enterprise', platform: 'ios' })).toBe(false)
    expect(matchesTargeting(rules, { country: 'FR', plan: 'free', platform: 'ios' })).toBe(false)
    expect(matchesTargeting(rules, { country: 'DE', plan: 'free', platform: 'android' })).toBe(false)
    expect(matchesTargeting(rules, { country: 'DE', plan: 'free' })).toBe(false)
  })

  it('two rules on one attribute narrow it (in A,B and not_in B → only A)', () => {
    const rules = [inRule('tier', 'a', 'b'), notIn('tier', 'b')]
    expect(['a', 'b', 'c'].filter((tier) => matchesTargeting(rules, { tier }))).toEqual(['a'])
  })

  it('extra attributes are ignored', () => {
    expect(matchesTargeting([inRule('country', 'DE')], { country: 'DE', plan: 'pro', device: 'x' })).toBe(true)
  })

  it('does not see inherited object properties as attributes', () => {
    expect(matchesTargeting([inRule('toString', 'x')], {})).toBe(false)
    expect(matchesTargeting([notIn('constructor', 'Object')], {})).toBe(true)
  })
})

describe('Attributes schema', () => {
  it('accepts a string → string record and refuses other value types', () => {
    expect(Attributes.safeParse({ country: 'DE' }).success).toBe(true)
    expect(Attributes.safeParse({ build: 7 }).success).toBe(false)
    expect(Attributes.safeParse({ beta: true }).success).toBe(false)
    expect(Attributes.safeParse(['DE']).success).toBe(false)
  })
})
