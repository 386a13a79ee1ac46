import { ExperimentSpecSchema } from '../../../src/domain/experiment.js'
import { type ExperimentRecord, newRecord } from '../../../src/domain/experiment-record.js'
import type { GateExperiment } from '../../../src/domain/gate-config.js'

/** A record in any state, with a spec built from the usual minimal body. */
export function record(over: { id?: string; namespace?: string; layer?: string; state?: ExperimentRecord['state']; step?: number; ledgerSeq?: number; allocation?: ExperimentRecord['allocation']; variants?: Array<{ name: string; weight: number }>; targeting?: unknown[]; steps?: number[] } = {}): ExperimentRecord {
  const spec = ExperimentSpecSchema.parse({
    id: over.id ?? 'exp-a',
    namespace: over.namespace ?? 'default',
    layer: over.layer ?? 'layer-a',
    variants: over.variants ?? [
      { name: 'control', weight: 50 },
      { name: 'treatment', weight: 50 },
    ],
    targeting: over.targeting ?? [],
    rollout: { steps: (over.steps ?? [10, 100]).map((exposure) => ({ exposure })) },
    metrics: { primary: { name: 'conversion' } },
  })
  return { ...newRecord(spec, 0), state: over.state ?? 'running', step: over.step ?? 0, ledgerSeq: over.ledgerSeq ?? 3, allocation: over.allocation === undefined ? { start: 0, size: 10_000 } : over.allocation }
}

export function gateExperiment(over: Partial<GateExperiment> = {}): GateExperiment {
  return {
    id: 'exp-a',
    namespace: 'default',
    layer: 'layer-a',
    state: 'running',
    step: 0,
    exposure: 100,
    allocation: { start: 0, size: 10_000 },
    variants: [
      { name: 'control', weight: 50 },
      { name: 'treatment', weight: 50 },
    ],
    targeting: [],
    ...over,
  }
}
