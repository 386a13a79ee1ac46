import { get, type Experiment, type ShownSql } from '../api.js'
import { Chart, PALETTE } from '../chart.js'
import { ErrorNote, expLink, Section, SqlBlocks, StateBadge } from '../components.js'
import { int, isEnded, num, time } from '../format.js'
import { html } from '../html.js'
import { usePoll } from '../hooks.js'

interface ExecSummary {
  traffic: Array<{ experimentId: string; units: number; events: number }>
  risk: Array<{ experimentId: string; decision: string; at: number; guardrailP: number | null; worst: { metric: string; variant: string; effect: number | null } | null }>
  errorBudget: Array<{ service: string; metric: string; objective: number; windowMs: number; threshold: number; bad: number; total: number; burnRate: number | null }>
  sql: ShownSql[]
}

const ACTIVE = ['queued', 'scheduled', 'running', 'paused']
const KINDS = ['ab', 'canary', 'rollout', 'model', 'chaos']
/** Until the API gives `result` (shipped, no-effect-detected, regressed, stopped), the final state stands in for it. */
export const resultOf = (e: Experiment) => e.result ?? (isEnded(e.state) ? e.state : null)

/** `/exec`: what is running, how ended experiments came out over time, error budgets, and the biggest and riskiest experiments. */
export function Exec() {
  const exps = usePoll(() => get<{ experiments: Experiment[] }>('/v1/experiments'), 30_000, [])
  const sum = usePoll(() => get<ExecSummary>('/v1/exec/summary'), 30_000, [])
  const list = exps.data?.experiments ?? []
  const active = list.filter((e) => ACTIVE.includes(e.state))
  const kinds = KINDS.filter((k) => active.some((e) => e.kind === k))
  const ended = list.filter((e) => resultOf(e) !== null && e.endedAt !== null).sort((a, b) => Date.parse(a.endedAt!) - Date.parse(b.endedAt!))
  const results = [...new Set(ended.map((e) => resultOf(e)!))].sort()
  // Cumulative count per result at each end time: one step per ended experiment.
  const x = ended.map((e) => Date.parse(e.endedAt!))
  const lines = results.map((r, i) => {
    let n = 0
    return { label: r, color: PALETTE[i % PALETTE.length], step: true, values: ended.map((e) => (resultOf(e) === r ? ++n : n)) }
  })
  const byId = new Map(list.map((e) => [e.id, e]))
  const traffic = (sum.data?.traffic ?? []).slice(0, 10)
  const risk = (sum.data?.risk ?? []).filter((r) => r.guardrailP !== null && byId.has(r.experimentId)).sort((a, b) => a.guardrailP! - b.guardrailP!).slice(0, 10)
  return html`<div class="view" data-testid="view-exec">
    <div class="view-head"><h1>Executive</h1><p class="muted">${exps.at ? `updated ${time(exps.at)}` : 'loading…'}</p></div>
    <${ErrorNote} error=${exps.error ?? sum.error} />
    <div class="grid2">
      <${Section} title=${`Active experiments (${active.length})`} id="active">
        <div class="table-wrap"><table data-testid="active-matrix">
          <thead><tr><th scope="col">State</th>${kinds.map((k) => html`<th scope="col">${k}</th>`)}<th scope="col">all</th></tr></thead>
          <tbody>${ACTIVE.map((s) => html`<tr><th scope="row"><${StateBadge} state=${s} /></th>${kinds.map((k) => html`<td>${active.filter((e) => e.state === s && e.kind === k).length}</td>`)}<td>${active.filter((e) => e.state === s).length}</td></tr>`)}</tbody>
        </table></div>
      <//>
      <${Section} title="Error budget by service" id="budget">
        ${(sum.data?.errorBudget ?? []).length === 0 ? html`<p class="muted">No service SLOs configured (the policy file's <code>slos</code>).</p>` : html`<div class="table-wrap"><table data-testid="budget">
          <thead><tr><th scope="col">Service</th><th scope="col">SLO</th><th scope="col">Bad / total</th><th scope="col">Burn rate</th></tr></thead>
          <tbody>${sum.data!.errorBudget.map((b) => html`<tr><td>${b.service}</td><td>${b.metric} ≥ ${num(b.objective * 100, 4)}% good</td><td>${int(b.bad)} / ${int(b.total)}</td>
            <td><meter min="0" max=${Math.max(b.threshold * 2, b.burnRate ?? 0)} value=${b.burnRate ?? 0} high=${b.threshold} aria-label=${`burn rate of ${b.service}`}></meter> ${num(b.burnRate)}× (gate at ${num(b.threshold)}×)</td></tr>`)}</tbody>
        </table></div>`}
      <//>
    </div>
    <${Section} title=${`Results of ended experiments (${ended.length})`} id="results">
      <${Chart} title="Ended experiments by result, cumulative" summary=${results.map((r, i) => `${r}: ${lines[i]!.values.at(-1)}`).join(', ') || 'none'} x=${x} lines=${lines} testId="chart-results" height=${180} />
      <div class="table-wrap"><table data-testid="ended">
        <thead><tr><th scope="col">Ended</th><th scope="col">Experiment</th><th scope="col">Kind</th><th scope="col">Result</th><th scope="col">Owner</th></tr></thead>
        <tbody>${[...ended].reverse().slice(0, 20).map((e) => html`<tr><td>${time(e.endedAt)}</td><td>${expLink(e.id)}</td><td>${e.kind}</td><td><${StateBadge} state=${resultOf(e)!} /></td><td>${e.owner}</td></tr>`)}</tbody>
      </table></div>
    <//>
    <div class="grid2">
      <${Section} title="Top experiments by traffic" id="traffic">
        <ol class="ranked" data-testid="top-traffic">${traffic.map((t) => html`<li>${expLink(t.experimentId)} <span class="muted">${int(t.units)} units · ${int(t.events)} events</span></li>`)}</ol>
      <//>
      <${Section} title="Top experiments by risk" id="risk">
        <p class="muted small">Smallest guardrail harm p-value in the newest verdict: the lower, the closer to a rollback.</p>
        <ol class="ranked" data-testid="top-risk">${risk.map((r) => html`<li>${expLink(r.experimentId)} <span class="muted">p=${num(r.guardrailP)} on ${r.worst?.metric}/${r.worst?.variant} · ${r.decision}</span></li>`)}</ol>
      <//>
    </div>
    <${Section} title="SQL behind these numbers" id="exec-sql"><${SqlBlocks} queries=${sum.data?.sql ?? []} /><//>
  </div>`
}
