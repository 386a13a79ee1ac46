import { z } from 'zod'
import type { TargetingRule } from './experiment.js'

export const Attributes = z.record(z.string(), z.string())
export type Attributes = z.infer<typeof Attributes>

/** A unit is targeted when every rule holds; a missing attribute fails an `in` rule. */
export function matchesTargeting(rules: ReadonlyArray<z.infer<typeof TargetingRule>>, attributes: Attributes): boolean {
  return rules.every((rule) => {
    const value = attributes[rule.attribute]
    const listed = value !== undefined && rule.values.includes(value)
    return rule.op === 'in' ? listed : !listed
  })
}
