/** Data rules applied to accepted rows before they are stored, for IngestService (src/services/ingest.ts). */
import { type AttributeRules, scrubAttributes } from '../domain/pii.js'
import { mayCarryPii } from '../domain/pii-fast.js'
import type { EventRow } from '../domain/telemetry.js'

import type { NamespaceCheck } from './ingest.js'

export interface Scrubber {
  rules: AttributeRules
  /** The wholly masked field names, lower case. */
  fields: Set<string>
}

/**
 * Applies the data rules to a row's attributes before it is stored, counting per experiment;
 * true when the attributes are kept as they came.
 * scrubAttributes decides whenever it could change anything; an attribute set that no rule
 * touches and that no detector could match (mayCarryPii) is kept as it is, without it.
 */
export function scrub(row: EventRow, s: Scrubber, tally: Map<string, { masked: number; dropped: number }>): boolean {
  if (untouched(row.attributes, s)) return true
  const r = scrubAttributes(row.attributes, s.rules)
  const c = tally.get(row.experiment_id)
  if (c) {
    c.masked += r.masked
    c.dropped += r.dropped
  } else tally.set(row.experiment_id, { masked: r.masked, dropped: r.dropped })
  row.attributes = r.attributes
  // The line is no longer the row: it is written from the row.
  return false
}

function untouched(attributes: Record<string, string>, s: Scrubber): boolean {
  if (s.rules.allowAttributes !== undefined) return false
  for (const key in attributes) {
    if (s.fields.size > 0 && s.fields.has(key.toLowerCase())) return false
    if (s.rules.maskPii && mayCarryPii(attributes[key]!)) return false
  }
  return true
}

/** One answer per namespace for the batch. */
export function memo(check: NamespaceCheck): NamespaceCheck {
  const answers = new Map<string, string | null>()
  return (namespace) => {
    let answer = answers.get(namespace)
    if (answer === undefined) {
      answer = check(namespace)
      answers.set(namespace, answer)
    }
    return answer
  }
}
