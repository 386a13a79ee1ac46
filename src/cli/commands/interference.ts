import type { ApiInterferenceRow, PairSummary } from '../../services/interference-rows.js'
import { callServer, errorMessage } from '../client.js'
import { CliExit, table } from '../output.js'

interface Report {
  runId: string | null
  evaluatedAt: string | null
  pairs: Array<PairSummary & { rows: ApiInterferenceRow[] }>
}

const fmt = (x: number | null) => (x === null ? '-' : Number.isInteger(x) ? String(x) : x.toPrecision(4))

/**
 * `runway interference [ID]`: the latest interference run (GET /v1/interference, or
 * /v1/experiments/:id/interference): one line per pair × test with Δ, its always-valid
 * interval, the BH-adjusted p and the status (docs/interference.md).
 */
export async function interferenceCommand(id: string | undefined, opts: { server: string; json?: boolean }): Promise<void> {
  const path = id ? `/v1/experiments/${encodeURIComponent(id)}/interference` : '/v1/interference'
  const res = await callServer(opts.server, path)
  if (res.status !== 200) throw new CliExit(1, `interference failed (HTTP ${res.status}): ${errorMessage(res.body)}`)
  const report = res.body as Report
  if (opts.json) {
    console.log(JSON.stringify(report, null, 2))
    return
  }
  if (report.pairs.length === 0) {
    console.log(report.runId === null ? 'no interference run yet (the job runs every RUNWAY_INTERFERENCE_INTERVAL)' : `no pairs of running experiments that share units${id ? ` with ${id}` : ''}`)
    return
  }
  console.log(`interference run ${report.runId} at ${report.evaluatedAt}`)
  const rows = report.pairs.flatMap((p) => p.rows.map((r) => [
    `${r.a} × ${r.b}`,
    r.kind === 'assignment' ? '(assignment)' : `${r.metric} ${r.variantA}×${r.variantB}`,
    r.kind === 'assignment' ? `χ²=${fmt(r.chiSquare)}` : fmt(r.delta),
    r.ci ? `[${fmt(r.ci[0] ?? null)}, ${fmt(r.ci[1] ?? null)}]` : '-',
    fmt(r.adjustedP),
    r.units,
    r.status + (r.action && r.action !== 'flagged' ? ` (${r.action})` : ''),
  ]))
  console.log(table(['PAIR', 'METRIC', 'DELTA', 'CI', 'ADJ P', 'UNITS', 'STATUS'], rows))
}
