/**
 * Who arrives: the unit ids each tick brings to an experiment. Ids carry the seed, so the
 * gate's hash puts different units in different arms under different seeds (runs with other
 * seeds are independent samples, not the same split with other metric noise). Kept apart from
 * the traffic model so that other populations (units shared across experiments) fit here.
 */
export interface Population {
  /** `count` ids arriving at `experimentId` in tick `tick`, distinct across ticks and experiments. */
  arrivals(experimentId: string, tick: number, count: number): string[]
}

/** Each experiment has its own units, new ones every tick. */
export function perExperimentPopulation(seed: number): Population {
  return {
    arrivals: (experimentId, tick, count) => Array.from({ length: count }, (_, u) => `${experimentId}-s${seed}-${tick}-${u}`),
  }
}
