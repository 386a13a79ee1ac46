import { canIn, get, getText, type Experiment, type LedgerEntry, type Session, type ShownSql, type VerdictPoint } from '../api.js'
import { ActionBar, actionsFor, ErrorNote, Section, SqlBlocks, StateBadge } from '../components.js'
import { isEnded, num, numbers, time } from '../format.js'
import { html } from '../html.js'
import { usePoll } from '../hooks.js'
import { ExposureCharts, MetricCharts } from './experiment-charts.js'
import { InterferenceTable, SliCharts, sliMetrics } from './experiment-slis.js'

interface Detail { experiment: Experiment; spec: Record<string, any>; ledger: LedgerEntry[] }
interface Exposures { bucketMs: number | null; variants: string[]; series: Array<{ t: number; units: Record<string, number> }>; misrouting: { units: number; misrouted: number; share: number } | null; sql: ShownSql[] }
interface Audit { ok: boolean; problems: Array<{ experimentId: string; seq: number; kind: string; message: string }>; heads: Array<{ experimentId: string; seq: number; hash: string }> }

/** What a panel says when the server has no such route (an older server, or the feature off). */
const Missing = ({ path, what }: { path: string; what: string }) =>
  html`<p class="muted" data-testid=${`na-${what}`}>Not available: this server has no <code>GET ${path}</code>.</p>`

/** How long the SLI series runs (start to end, or to now): picks 5-minute or hourly buckets. */
function spanOf(e: Experiment): number {
  if (!e.startedAt) return 0
  const end = e.endedAt ? Date.parse(e.endedAt) : Date.now()
  return Math.max(0, end - Date.parse(e.startedAt))
}

/** `/experiments/:id`: everything about one experiment, for debugging it. */
export function ExperimentView({ id, session }: { id: string; session: Session }) {
  const base = `/v1/experiments/${encodeURIComponent(id)}`
  const d = usePoll(() => get<Detail>(base), 10_000, [id])
  const v = usePoll(() => get<{ total: number; stride: number; verdicts: VerdictPoint[]; sql: ShownSql[] }>(`${base}/verdicts`), 10_000, [id])
  const x = usePoll(() => get<Exposures>(`${base}/exposures`), 10_000, [id])
  const yaml = usePoll(() => getText(`${base}/spec.yaml`), null, [id])
  const mayAudit = session.auth === 'off' || (session.principal?.grants ?? []).some((g) => g.namespace === '*')
  const audit = usePoll(() => (mayAudit ? get<Audit>('/v1/audit/verify') : Promise.resolve(null)), null, [id, mayAudit])
  if (d.error && !d.data) return html`<div class="view"><h1>${id}</h1><${ErrorNote} error=${d.error} /></div>`
  if (!d.data) return html`<div class="view"><h1>${id}</h1><p class="muted">loading…</p></div>`
  const { experiment: e, spec, ledger } = d.data
  const reload = () => { d.reload(); v.reload() }
  const actions = actionsFor(e.state, e.pendingApproval !== null, canIn(session.act, e.namespace), canIn(session.approve, e.namespace))
  const verdicts = v.data?.verdicts ?? []
  const mine = audit.data ? audit.data.problems.filter((p) => p.experimentId === e.id) : []
  const head = audit.data?.heads.find((h) => h.experimentId === e.id)
  const result = e.result ?? (isEnded(e.state) ? e.state : null)
  return html`<div class="view" data-testid="view-experiment">
    <div class="view-head">
      <h1>${e.id}</h1>
      <p><${StateBadge} state=${e.state} /> ${e.kind} · step ${e.step}/${e.steps} at ${num(e.exposure)}% exposure · ${e.namespace}/${e.layer}</p>
    </div>
    <${ErrorNote} error=${d.error ?? v.error ?? x.error} />
    <${Section} title="Summary" id="summary" actions=${html`<${ActionBar} id=${e.id} actions=${actions} onDone=${reload} />`}>
      <dl class="facts">
        <dt>Owner</dt><dd>${e.owner}</dd>
        <dt>On-call</dt><dd>${spec.onCall || '—'}</dd>
        <dt>Hypothesis</dt><dd>${spec.hypothesis || '—'}</dd>
        <dt>Started</dt><dd>${time(e.startedAt)}</dd>
        ${result ? html`<dt>Result</dt><dd data-testid="result"><${StateBadge} state=${result} /> ${e.result ? '' : html`<span class="muted small">(final state; the API gives no result field yet)</span>`}</dd>` : null}
        ${e.pendingApproval ? html`<dt>Waiting</dt><dd>approval to ramp to step ${e.pendingApproval.toStep + 1}</dd>` : null}
        ${e.blockedBy ? html`<dt>Blocked by</dt><dd>${e.blockedBy.map((f) => `${f.rule}: ${f.message}`).join('; ')}</dd>` : null}
      </dl>
    <//>
    <${Section} title="Metrics (effect over time with always-valid interval)" id="metrics">
      ${v.data ? html`<${MetricCharts} spec=${spec} verdicts=${verdicts} />` : html`<p class="muted">loading…</p>`}
      ${v.data && v.data.stride > 1 ? html`<p class="muted small">${v.data.total} verdicts, every ${v.data.stride}th shown (and every one that acted).</p>` : null}
    <//>
    <${Section} title="Exposures and assignment health" id="exposures">
      ${x.data && v.data ? html`<${ExposureCharts} exposures=${x.data} verdicts=${verdicts} srmAlpha=${spec.statistics?.srmAlpha ?? 0.001} />` : html`<p class="muted">loading…</p>`}
    <//>
    <div class="grid2">
      <${Section} title="Windowed SLIs per variant" id="slis">${session.features.slis
        ? html`<${SliCharts} base=${base} metrics=${sliMetrics(spec.metrics)} variants=${(spec.variants as Array<{ name: string }>).map((x) => x.name)} spanMs=${spanOf(e)} />`
        : html`<${Missing} path="/v1/experiments/:id/slis" what="slis" />`}<//>
      <${Section} title="Interference" id="interference">${session.features.interference
        ? html`<${InterferenceTable} base=${base} id=${e.id} />`
        : html`<${Missing} path="/v1/experiments/:id/interference" what="interference" />`}<//>
    </div>
    <${Section} title=${`Timeline (${ledger.length} transitions)`} id="timeline">
      <div class="table-wrap"><table data-testid="timeline">
        <thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Transition</th><th scope="col">Step</th><th scope="col">Actor</th><th scope="col">Reason</th></tr></thead>
        <tbody>${ledger.map((l) => html`<tr><td>${l.seq}</td><td>${time(l.at)}</td><td>${l.from ?? '∅'} → <${StateBadge} state=${l.to} /></td><td>${l.step + 1} @ ${num(l.exposure)}%</td><td>${l.actor.type}:${l.actor.id}</td><td>${l.reason}</td></tr>`)}</tbody>
      </table></div>
    <//>
    <${Section} title=${`Verdicts (${v.data?.total ?? 0})`} id="verdicts">
      <div class="table-wrap"><table data-testid="verdicts">
        <thead><tr><th scope="col">#</th><th scope="col">Evaluated</th><th scope="col">Decision</th><th scope="col">Step</th><th scope="col">Reasons</th></tr></thead>
        <tbody>${[...verdicts].reverse().slice(0, 50).map((r) => html`<tr><td>${r.seq}</td><td>${time(r.at)}</td><td><span class=${`badge d-${r.decision}`}>${r.decision}</span>${r.needsApproval ? ' (needs approval)' : ''}</td><td>${r.step}</td>
          <td>${r.reasons.map((x) => html`<div><strong>${x.code}</strong> ${x.message} <span class="mono small muted">${numbers(x.numbers)}</span></div>`)}</td></tr>`)}</tbody>
      </table></div>
      ${verdicts.length > 50 ? html`<p class="muted small">Newest 50 of the ${verdicts.length} shown points.</p>` : null}
    <//>
    <${Section} title="Audit chain" id="audit">
      ${!mayAudit ? html`<p class="muted">Verifying the ledger needs read on every namespace (*).</p>` : !audit.data ? html`<p class="muted">checking…</p>` : html`<p data-testid="audit-status" class=${mine.length === 0 ? 'ok-text' : 'bad-text'}>
        ${mine.length === 0 ? `✓ chain intact: ${ledger.length} entries, head #${head?.seq ?? '?'} ${head?.hash.slice(0, 16) ?? ''}…` : `✗ ${mine.length} problem(s)`}</p>
        ${mine.length > 0 ? html`<ul>${mine.map((p) => html`<li>#${p.seq} ${p.kind}: ${p.message}</li>`)}</ul>` : null}`}
    <//>
    <${Section} title="SQL behind the numbers" id="sql"><${SqlBlocks} queries=${[...(v.data?.sql ?? []), ...(x.data?.sql ?? [])]} /><//>
    <${Section} title="Spec" id="spec"><pre class="yaml" tabindex="0" data-testid="spec-yaml"><code>${yaml.data ?? ''}</code></pre><//>
  </div>`
}
