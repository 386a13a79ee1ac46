import { createRng } from '../../src/stats/random.js'
import type { AnalystServer } from '../support/analyst-server.js'
import { waitFor } from '../support/wait.js'

/**
 * Live data for the notebooks the simulated demo cannot feed, sent through the API of a running
 * `runway serve` (started with short evaluation and interference intervals):
 *  - interference: nb-int-a and nb-int-b, two layers of namespace `nb`, see the same INT_UNITS
 *    units. Conversion has an interaction and no main effects (p = 0.3 ± 0.1: + when the unit is
 *    in the same arm of both), so the job flags it and neither experiment is decided; latency has
 *    none. The seed waits until the job has run over every unit.
 *  - readout (CUPED, segments): nb-cuped (namespace `readout`) measures revenue with a CUPED
 *    covariate over 7 days; each unit's revenue two and one days before exposure was sent for
 *    nb-history (site history in a namespace of its own), and its events carry a `country`
 *    attribute, with a larger effect in `de`. The seed waits for a verdict over every unit.
 * Variants come from POST /v1/assign (the gate's hash), so no unit is misrouted.
 */
export const SEED = {
  interference: { a: 'nb-int-a', b: 'nb-int-b', namespace: 'nb', units: 2000, interaction: 0.4 },
  cuped: { id: 'nb-cuped', history: 'nb-history', namespace: 'readout', units: 1200, metric: 'revenue', attribute: 'country' },
} as const
/** Treatment effect on revenue by country (the segments the readout finds). */
export const COUNTRY_EFFECT: Readonly<Record<string, number>> = { de: 3, fr: 0.3, us: 0.3 }

type Spec = Record<string, unknown>
const spec = (id: string, namespace: string, layer: string, priority: number, metrics: Spec): Spec => ({
  id, namespace, layer, priority, owner: 'team-notebooks', hypothesis: `seeded for the notebooks (${id})`,
  variants: [{ name: 'control', weight: 50 }, { name: 'treatment', weight: 50 }],
  // One long step: nothing ramps or completes while the notebooks read.
  rollout: { steps: [{ exposure: 100, minDuration: '6h' }] },
  maxDuration: '2d',
  metrics,
  evaluation: { interval: '10s', staleAfter: '1d', minUnits: 50 },
})

const SPECS: Spec[] = [
  spec(SEED.interference.a, 'nb', 'nb-a', 200, { primary: { name: 'conversion' }, guardrails: [{ name: 'latency_ms', direction: 'decrease' }] }),
  spec(SEED.interference.b, 'nb', 'nb-b', 100, { primary: { name: 'conversion' }, guardrails: [{ name: 'latency_ms', direction: 'decrease' }] }),
  spec(SEED.cuped.id, 'readout', 'readout', 100, { primary: { name: 'revenue', covariate: { metric: 'revenue', prePeriod: '7d' } }, guardrails: [{ name: 'latency_ms', direction: 'decrease' }] }),
  spec(SEED.cuped.history, 'history', 'history', 100, { primary: { name: 'revenue' }, guardrails: [{ name: 'latency_ms', direction: 'decrease' }] }),
]

async function api(s: AnalystServer, path: string, body?: unknown, type = 'application/json'): Promise<any> {
  const res = await fetch(`${s.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${s.admin}`, ...(body === undefined ? {} : { 'content-type': type }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${text}`)
  return JSON.parse(text)
}

async function variants(s: AnalystServer, experimentId: string, units: string[]): Promise<string[]> {
  const out = (await api(s, '/v1/assign', { experimentId, units })) as { assignments: Array<{ exposed: boolean; variant: string | null }> }
  return out.assignments.map((a, i) => {
    if (!a.exposed || !a.variant) throw new Error(`${experimentId}: unit ${units[i]} not exposed at 100%`)
    return a.variant
  })
}

async function send(s: AnalystServer, lines: object[]): Promise<void> {
  for (let i = 0; i < lines.length; i += 2000) {
    const r = (await api(s, '/v1/events', lines.slice(i, i + 2000).map((l) => JSON.stringify(l)).join('\n'), 'application/x-ndjson')) as { rejected: number }
    if (r.rejected !== 0) throw new Error(`ingest rejected ${r.rejected} events: ${JSON.stringify(r)}`)
  }
}

export async function seedLive(s: AnalystServer): Promise<void> {
  for (const body of SPECS) await api(s, '/v1/experiments', body)
  for (const body of SPECS) {
    await waitFor(async () => (await api(s, `/v1/experiments/${String(body.id)}`)).experiment.state === 'running', { what: `${String(body.id)} running`, timeoutMs: 60_000, intervalMs: 250 })
  }
  const now = Date.now()
  const rng = createRng({ seed: 15 })

  const { a, b, units: nInt, interaction } = SEED.interference
  const intUnits = Array.from({ length: nInt }, (_, i) => `iu-${i}`)
  const [va, vb] = [await variants(s, a, intUnits), await variants(s, b, intUnits)]
  const intLines: object[] = []
  intUnits.forEach((unitId, i) => {
    const same = (va[i] === 'treatment') === (vb[i] === 'treatment')
    const converted = rng.uniform() < 0.3 + (same ? interaction / 4 : -interaction / 4)
    const latency = 200 + 30 * rng.normal()
    const ts = now - Math.floor(rng.uniform() * 1_800_000)
    for (const [exp, variant] of [[a, va[i]], [b, vb[i]]] as const) {
      intLines.push({ eventId: `${exp}-${unitId}-c`, ts, experimentId: exp, variant, unitId, metric: 'conversion', outcome: converted })
      intLines.push({ eventId: `${exp}-${unitId}-l`, ts, experimentId: exp, variant, unitId, metric: 'latency_ms', value: latency })
    }
  })
  await send(s, intLines)

  const { id, history, units: nCuped, metric, attribute } = SEED.cuped
  const cuUnits = Array.from({ length: nCuped }, (_, i) => `cu-${i}`)
  const [vc, vh] = [await variants(s, id, cuUnits), await variants(s, history, cuUnits)]
  const countries = Object.keys(COUNTRY_EFFECT)
  const cuLines: object[] = []
  cuUnits.forEach((unitId, i) => {
    const level = 20 + 6 * rng.normal()
    const country = countries[Math.floor(rng.uniform() * countries.length)]!
    const attributes = { [attribute]: country }
    // Two days and one day before exposure: the CUPED pre-period (7d) holds both.
    for (const days of [2, 1]) {
      cuLines.push({ eventId: `h-${unitId}-${days}`, ts: now - days * 86_400_000, experimentId: history, variant: vh[i], unitId, metric, value: level + 2 * rng.normal(), attributes })
    }
    const effect = vc[i] === 'treatment' ? COUNTRY_EFFECT[country]! : 0
    const exposedAt = now - 1_200_000 + Math.floor(rng.uniform() * 600_000)
    for (const k of [0, 1]) {
      cuLines.push({ eventId: `c-${unitId}-${k}`, ts: exposedAt + k * 60_000, experimentId: id, variant: vc[i], unitId, metric, value: level + effect + 2 * rng.normal(), attributes })
    }
    cuLines.push({ eventId: `c-${unitId}-l`, ts: exposedAt, experimentId: id, variant: vc[i], unitId, metric: 'latency_ms', value: 200 + 30 * rng.normal(), attributes })
  })
  await send(s, cuLines)

  // The job's rows over every shared unit, and a verdict over every CUPED unit.
  await waitFor(async () => {
    const r = (await api(s, '/v1/interference')) as { pairs: Array<{ a: string; b: string; rows: Array<{ kind: string; metric: string; units: number }> }> }
    const pair = r.pairs.find((p) => [p.a, p.b].sort().join() === [a, b].sort().join())
    return pair !== undefined && pair.rows.some((x) => x.kind === 'interaction' && x.metric === 'conversion' && x.units === nInt)
  }, { what: 'an interference run over the seeded pair', timeoutMs: 180_000, intervalMs: 1000 })
  await waitFor(async () => {
    const r = (await api(s, `/v1/experiments/${id}/verdicts`)) as { verdicts: Array<{ evidence: { comparisons: Array<{ metric: string; controlUnits: number; treatmentUnits: number }> } | null }> }
    return r.verdicts.some((v) => v.evidence?.comparisons.some((c) => c.metric === metric && c.controlUnits + c.treatmentUnits === nCuped))
  }, { what: `a verdict of ${id} over ${nCuped} units`, timeoutMs: 180_000, intervalMs: 1000 })
}
