import type { Units } from './scenario-parts.js'

/**
 * Who arrives: the unit ids each tick brings to an experiment. Ids carry the seed, so the
 * gate's hash puts different units in different arms under different seeds (runs with other
 * seeds are independent samples, not the same split with other metric noise). Kept apart from
 * the traffic model so that other populations (units shared across experiments) fit here.
 */
export interface Population {
  /** `count` ids arriving at `experimentId` in tick `tick`, distinct within the tick. */
  arrivals(experimentId: string, tick: number, count: number): string[]
  /**
   * Prefix of the event ids of one arrival: unique per (experiment, tick, unit), since with a
   * shared population one unit arrives at several experiments and in several ticks.
   */
  eventPrefix(experimentId: string, tick: number, unitId: string): string
}

/** Each experiment has its own units, new ones every tick (distinct across ticks and experiments). */
export function perExperimentPopulation(seed: number): Population {
  return {
    arrivals: (experimentId, tick, count) => Array.from({ length: count }, (_, u) => `${experimentId}-s${seed}-${tick}-${u}`),
    // The id is already unique per experiment and tick.
    eventPrefix: (_experimentId, _tick, unitId) => unitId,
  }
}

/**
 * One population of `size` units that every experiment draws from: each tick an experiment
 * gets `count` distinct units (at most `size`) picked uniformly, so over a run experiments in
 * different layers meet the same units again and again.
 */
export function sharedPopulation(seed: number, size: number, random: () => number): Population {
  return {
    arrivals: (_experimentId, _tick, count) => sampleDistinct(size, Math.min(count, size), random).map((i) => `u-s${seed}-${i}`),
    eventPrefix: (experimentId, tick, unitId) => `${experimentId}-${tick}-${unitId}`,
  }
}

/** Floyd's algorithm: `k` distinct integers from [0, n) with k draws, whatever k is. */
export function sampleDistinct(n: number, k: number, random: () => number): number[] {
  const picked = new Set<number>()
  for (let j = n - k; j < n; j++) {
    const t = Math.floor(random() * (j + 1))
    picked.add(picked.has(t) ? j : t)
  }
  return [...picked]
}

export function populationOf(units: Units, seed: number, random: () => number): Population {
  return units.population === 'shared' ? sharedPopulation(seed, units.size, random) : perExperimentPopulation(seed)
}
