import type { Effect } from './scenario-parts.js'

/** What an effect does to one event: value × scale + shift, and `tail.add` on a `tail.fraction` of events. */
export interface ActiveEffect {
  shift: number
  scale: number
  tail: { fraction: number; add: number } | null
}

export const NO_EFFECT: ActiveEffect = { shift: 0, scale: 1, tail: null }

/**
 * The effect in force for an event at `elapsed` ms since scenario start, while the experiment
 * is at rollout step `step` (1-based; 0 before it starts): NO_EFFECT outside its step or window.
 */
export function activeEffect(effect: Effect | undefined, at: { elapsed: number; step: number }): ActiveEffect {
  if (effect === undefined) return NO_EFFECT
  if (typeof effect === 'number') return { shift: effect, scale: 1, tail: null }
  if (effect.fromStep !== undefined && at.step < effect.fromStep) return NO_EFFECT
  if (effect.from !== undefined && at.elapsed < effect.from) return NO_EFFECT
  if (effect.until !== undefined && at.elapsed >= effect.until) return NO_EFFECT
  return { shift: effect.shift, scale: effect.scale, tail: effect.tail ?? null }
}

/** Whether an effect can change over time (then it is resolved per event, else once per unit). */
export const isTimed = (effect: Effect | undefined): boolean =>
  effect !== undefined && typeof effect !== 'number' && (effect.fromStep !== undefined || effect.from !== undefined || effect.until !== undefined)
