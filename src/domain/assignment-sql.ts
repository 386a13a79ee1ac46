import { layerSalt, variantSalt } from './assignment.js'
import { variantThresholds } from './fast-assignment.js'

/** What sql/queries/expected-assignment.sql and the misrouting queries need to recompute the gate. */
export interface AssignmentSqlParams {
  layer_salt: string
  variant_salt: string
  alloc_start: number
  alloc_size: number
  exposure: number
  variants: string[]
  thresholds: number[]
}

/**
 * Parameters for recomputing an experiment's assignment in SQL. `exposure` is the
 * exposure to check against: for logged history, the highest step reached (ramps
 * only add units), not the current one (0 while paused).
 */
export function assignmentSqlParams(e: {
  id: string
  namespace: string
  layer: string
  allocation: { start: number; size: number } | null
  exposure: number
  variants: ReadonlyArray<{ name: string; weight: number }>
}): AssignmentSqlParams {
  return {
    layer_salt: layerSalt(e.namespace, e.layer),
    variant_salt: variantSalt(e.id),
    alloc_start: e.allocation?.start ?? 0,
    alloc_size: e.allocation?.size ?? 0,
    exposure: e.exposure,
    variants: e.variants.map((v) => v.name),
    thresholds: variantThresholds(e.variants),
  }
}
