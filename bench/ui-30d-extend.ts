/**
 * Extends the 12 hours of bench/ui-30d.yaml (simulated through the real loop) to 30 days
 * inside the engine, so bench/ui-render.ts takes minutes instead of the hour that walking
 * the loop through 30 days took (61 min on the shared machine).
 *
 *   npx tsx bench/ui-30d-extend.ts <data-dir>      (no server may have the data dir open)
 *
 * - events: 150 units per hour after the simulated part, each with 2 events per metric
 *   (signup 10 %, error_rate 1 %) at random times in its half hour, logged under the
 *   variant the gate's hash gives it (the experiment is at 100 % of its allocation), written
 *   by one INSERT … SELECT over numbers() so that the unit_agg and sli_minute projections
 *   are built as on ingest;
 * - verdicts: one every 15 minutes up to 30 days (2,880 in all), shaped like the newest
 *   real one (same comparisons, reasons and SRM block), with unit counts that grow with
 *   the traffic and intervals that narrow as 1/√n.
 * The ledger is left as the loop wrote it (its hash chain stays intact).
 */
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { embeddedWarehouse } from '../src/adapters/warehouse/clickhouse-warehouse.js'
import { variantSalt } from '../src/domain/assignment.js'
import { variantThresholds } from '../src/domain/fast-assignment.js'
import { toWarehouseTime } from '../src/domain/telemetry.js'
import { createRng } from '../src/stats/random.js'

export const EXTEND = { id: 'pricing-page-30d', days: 30, unitsPerHour: 150, eventsPerMetric: 2, everyMs: 15 * 60_000, tickMs: 30 * 60_000 } as const

interface Comparison { metric: string; controlMean: number | null; treatmentMean: number | null; effect: number | null; ciLow: number | null; ciHigh: number | null; pValue: number | null; adjustedPValue: number | null; controlUnits: number; treatmentUnits: number; [k: string]: unknown }


export async function extendTo30Days(dataDir: string): Promise<{ events: number; verdicts: number }> {
  const w = embeddedWarehouse(join(dataDir, 'warehouse'))
  try {
    const id = EXTEND.id
    const [exp] = await w.select<{ spec: string; namespace: string; layer: string }>(`SELECT argMax(spec, revision) AS spec, any(namespace) AS namespace, any(layer) AS layer FROM experiments WHERE id = {id:String}`, { id })
    if (!exp) throw new Error(`${id} is not in the warehouse: simulate bench/ui-30d.yaml first`)
    const spec = JSON.parse(exp.spec) as { variants: Array<{ name: string; weight: number }> }
    const [alloc] = await w.select<{ start: number; size: number; first_ms: string }>(
      `SELECT argMax(alloc_start, seq) AS start, argMax(alloc_size, seq) AS size, toUnixTimestamp64Milli(minIf(at, to_state = 'running')) AS first_ms FROM lifecycle WHERE experiment_id = {id:String} AND alloc_size IS NOT NULL`, { id })
    if (!alloc || alloc.size === null) throw new Error(`${id} holds no allocation`)
    const [span] = await w.select<{ last_ms: string }>(`SELECT toUnixTimestamp64Milli(max(ts)) AS last_ms FROM events WHERE experiment_id = {id:String}`, { id })
    const startedMs = Number(alloc.first_ms)
    const fromMs = Math.ceil(Number(span!.last_ms) / EXTEND.tickMs) * EXTEND.tickMs
    const endMs = startedMs + EXTEND.days * 86_400_000
    const perTick = (EXTEND.unitsPerHour * EXTEND.tickMs) / 3_600_000
    const ticks = Math.floor((endMs - fromMs) / EXTEND.tickMs)
    const perUnit = 2 * EXTEND.eventsPerMetric
    const rows = ticks * perTick * perUnit
    // Variant as the gate assigns it (expected-assignment.sql's formula); at 100 % every allocated unit is exposed.
    const thresholds = variantThresholds(spec.variants)
    const variantOf = `arrayElement({variants:Array(String)}, if(arrayFirstIndex(t -> murmurHash3_32(concat({variant_salt:String}, ':', unit_id)) % 10000 < t, {thresholds:Array(Float64)}) = 0, length({variants:Array(String)}), arrayFirstIndex(t -> murmurHash3_32(concat({variant_salt:String}, ':', unit_id)) % 10000 < t, {thresholds:Array(Float64)})))`
    const inline = (sql: string, p: Record<string, unknown>) => sql.replace(/\{(\w+):[^}]+\}/g, (_, k: string) => JSON.stringify(p[k]).replace(/"/g, "'"))
    const insert = inline(`
      INSERT INTO events (event_id, ts, experiment_id, variant, unit_id, service, metric, value, attributes, received_at)
      SELECT concat(unit_id, '-', toString(k)) AS event_id, at AS ts, {id:String} AS experiment_id, ${variantOf} AS variant, unit_id, 'sim' AS service,
             if(k < ${EXTEND.eventsPerMetric}, 'signup', 'error_rate') AS metric,
             toFloat64((cityHash64(number, 2) % 10000) < if(k < ${EXTEND.eventsPerMetric}, 1000, 100)) AS value, map() AS attributes, at AS received_at
      FROM (
        SELECT number, intDiv(number, ${perUnit}) AS u, number % ${perUnit} AS k, concat({id:String}, '-x', toString(u)) AS unit_id,
               fromUnixTimestamp64Milli(toInt64({from:Int64} + intDiv(u, ${perTick}) * ${EXTEND.tickMs} + cityHash64(number, 1) % ${EXTEND.tickMs}), 'UTC') AS at
        FROM numbers(${rows})
      )`, { id, from: fromMs, variants: spec.variants.map((v) => v.name), thresholds, variant_salt: variantSalt(id) })
    // The layer hash is not recomputed: the experiment holds the whole layer, so every unit is in its allocation.
    if (alloc.start !== 0 || alloc.size !== 10_000) throw new Error(`expected the whole layer (0-9999), got ${alloc.start}+${alloc.size}`)
    await w.command(insert)

    const [last] = await w.select<{ seq: number; step: number; reasons: string; evidence: string; window_from: string; evaluated_ms: string; engine_version: string }>(
      `SELECT seq, step, reasons, evidence, window_from, toUnixTimestamp64Milli(evaluated_at) AS evaluated_ms, engine_version FROM verdicts WHERE experiment_id = {id:String} ORDER BY seq DESC LIMIT 1`, { id })
    const template = JSON.parse(last!.evidence) as { comparisons: Comparison[]; srm: { pValue: number | null; counts: number[]; test: string } }
    const rng = createRng({ seed: 11 }) // the same data on every machine
    const random = () => rng.uniform()
    const out: Array<Record<string, unknown>> = []
    const base0 = template.comparisons[0]!.controlUnits + template.comparisons[0]!.treatmentUnits
    for (let seq = Number(last!.seq) + 1, at = Number(last!.evaluated_ms) + EXTEND.everyMs; at <= endMs; seq++, at += EXTEND.everyMs) {
      const units = base0 + Math.max(0, Math.round(((at - fromMs) / EXTEND.tickMs) * perTick))
      const control = Math.round(units / 2 + (random() - 0.5) * Math.sqrt(units))
      const treatment = units - control
      const comparisons = template.comparisons.map((c) => {
        const mean = c.metric === 'signup' ? 0.1 : 0.01
        const sd = Math.sqrt((2 * mean * (1 - mean)) / (units / 2))
        const effect = (random() - 0.5) * 2 * sd
        const half = 3.2 * sd
        const p = Math.min(1, 0.2 + random() * 0.8)
        return { ...c, controlMean: mean - effect / 2, treatmentMean: mean + effect / 2, effect, ciLow: c.ciLow === null ? null : effect - half, ciHigh: c.ciHigh === null ? null : effect + half, pValue: p, adjustedPValue: p, controlUnits: control, treatmentUnits: treatment }
      })
      const srm = { ...template.srm, pValue: Math.min(1, 0.05 + random() * 0.95), counts: [control, treatment] }
      out.push({ id: randomUUID(), experiment_id: id, seq, decision: 'continue', step: last!.step, reasons: last!.reasons, window_from: last!.window_from, window_to: toWarehouseTime(at), evaluated_at: toWarehouseTime(at), engine_version: last!.engine_version, needs_approval: false, evidence: JSON.stringify({ comparisons, srm }) })
    }
    for (let i = 0; i < out.length; i += 1000) await w.insert('verdicts', out.slice(i, i + 1000))
    return { events: rows, verdicts: Number(last!.seq) + out.length }
  } finally {
    await w.close()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2]
  if (!dir) throw new Error('usage: npx tsx bench/ui-30d-extend.ts <data-dir>')
  const t = Date.now()
  console.log(await extendTo30Days(dir), `${((Date.now() - t) / 1000).toFixed(1)} s`)
}
