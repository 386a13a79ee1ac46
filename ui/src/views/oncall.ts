import { get, type Experiment, type Reason } from '../api.js'
import { ErrorNote, expLink, Section, StateBadge, Tile } from '../components.js'
import { ago, int, num, numbers, pct, seconds, time } from '../format.js'
import { html } from '../html.js'
import { usePoll } from '../hooks.js'

interface Waiting { experimentId: string; layer: string; position: number; effectivePriority: number; reason: string }
interface Stuck { experimentId: string; state: string; since: number; forMs: number; limitMs: number }
interface Recent { experimentId: string; seq: number; at: number; from: string; to: string; actor: { type: string; id: string }; reason: string; verdictReasons: Reason[] }
interface OpsSummary {
  recent: Recent[]
  slis: { gateEnforcementSeconds: { count: number; p50: number | null; p95: number | null; p99: number | null }; telemetryAttachRate: number | null; deadLetterRate: number | null; evaluationLagSeconds: number | null; auditCompleteness: number | null; source: string }
}
interface Risk { experimentId: string; decision: string; at: number; guardrailP: number | null; worst: { metric: string; variant: string } | null }

const REFRESH_MS = 5000

/** Why an experiment needs a person now; null when it does not. */
function attention(e: Experiment, lastPause: Recent | undefined, risk: Risk | undefined): string | null {
  if (e.pendingApproval) return `waiting for approval to ramp to step ${e.pendingApproval.toStep + 1}`
  if (e.state === 'paused') return lastPause ? `paused ${ago(lastPause.at)} by ${lastPause.actor.type}:${lastPause.actor.id}: ${lastPause.reason}` : 'paused'
  if (e.state === 'running' && risk && (risk.decision === 'pause' || risk.decision === 'rollback')) return `breaching: latest verdict is ${risk.decision}${risk.worst ? ` (${risk.worst.metric}/${risk.worst.variant} p=${num(risk.guardrailP)})` : ""}`
  if (e.blockedBy && e.blockedBy.length > 0) return `blocked by policy: ${e.blockedBy.map((f) => `${f.rule} (${f.message})`).join('; ')}`
  return null
}

/** `/`: what needs a person now, what just happened, and whether Runway itself is healthy. Refreshes every 5 s. */
export function OnCall() {
  const exps = usePoll(() => get<{ experiments: Experiment[] }>('/v1/experiments'), REFRESH_MS, [])
  const queue = usePoll(() => get<{ waiting: Waiting[]; stuck: Stuck[]; layers: Record<string, number> }>('/v1/queue'), REFRESH_MS, [])
  const ops = usePoll(() => get<OpsSummary>('/v1/ops/summary?limit=30'), REFRESH_MS, [])
  const exec = usePoll(() => get<{ risk: Risk[] }>('/v1/exec/summary'), REFRESH_MS * 2, [])
  const list = (exps.data?.experiments ?? []).filter((e) => e.state !== 'archived')
  const lastPause = new Map<string, Recent>()
  for (const r of ops.data?.recent ?? []) if (r.to === 'paused' && !lastPause.has(r.experimentId)) lastPause.set(r.experimentId, r)
  const risk = new Map((exec.data?.risk ?? []).map((r) => [r.experimentId, r]))
  const needs = list.map((e) => ({ e, why: attention(e, lastPause.get(e.id), risk.get(e.id)) })).filter((x) => x.why !== null)
  const s = ops.data?.slis
  const gate = s?.gateEnforcementSeconds
  return html`<div class="view" data-testid="view-oncall">
    <div class="view-head"><h1>On-call</h1><p class="muted" aria-live="polite">${exps.at ? `updated ${time(exps.at)} · refreshes every 5 s` : 'loading…'}</p></div>
    <${ErrorNote} error=${exps.error ?? queue.error ?? ops.error} />
    <div class="tiles" aria-label="Runway's own SLIs">
      <${Tile} label="Gate enforcement p95" value=${gate && gate.count > 0 ? `≤ ${seconds(gate.p95)}` : 'no samples'} note=${gate ? `${int(gate.count)} pauses/rollbacks applied · p50 ≤ ${seconds(gate.p50)}` : undefined} testId="sli-gate" />
      <${Tile} label="Telemetry attach rate" value=${s && s.telemetryAttachRate === 0 && s.deadLetterRate === 0 ? 'no events yet' : pct(s?.telemetryAttachRate)} note="events attached to a known experiment and variant, since this process started" tone=${s && s.telemetryAttachRate !== null && s.telemetryAttachRate < 0.99 && (s.deadLetterRate ?? 0) > 0 ? 'warn' : undefined} />
      <${Tile} label="Dead-letter rate" value=${pct(s?.deadLetterRate)} tone=${(s?.deadLetterRate ?? 0) > 0.01 ? 'bad' : undefined} />
      <${Tile} label="Evaluation lag" value=${seconds(s?.evaluationLagSeconds)} note="longest since a running experiment was evaluated" />
      <${Tile} label="Audit completeness" value=${pct(s?.auditCompleteness)} tone=${(s?.auditCompleteness ?? 1) < 1 ? 'bad' : undefined} />
    </div>
    <p class="muted small">${s?.source ?? ''}</p>

    <${Section} title=${`Needs attention (${needs.length})`} id="attention">
      ${needs.length === 0 ? html`<p class="muted">Nothing paused, breaching or waiting for approval.</p>` : html`<div class="table-wrap"><table data-testid="attention">
        <thead><tr><th scope="col">Experiment</th><th scope="col">State</th><th scope="col">Why</th></tr></thead>
        <tbody>${needs.map(({ e, why }) => html`<tr><td>${expLink(e.id)}</td><td><${StateBadge} state=${e.state} /></td><td>${why}</td></tr>`)}</tbody>
      </table></div>`}
    <//>

    <${Section} title="Recent rollbacks and pauses" id="recent">
      ${(ops.data?.recent ?? []).length === 0 ? html`<p class="muted">None yet.</p>` : html`<div class="table-wrap"><table data-testid="recent">
        <thead><tr><th scope="col">When</th><th scope="col">Experiment</th><th scope="col">Transition</th><th scope="col">Actor</th><th scope="col">Reason</th><th scope="col">Numbers</th></tr></thead>
        <tbody>${ops.data!.recent.map((r) => html`<tr>
          <td><time datetime=${new Date(r.at).toISOString()}>${time(r.at)}</time></td><td>${expLink(r.experimentId)}</td>
          <td>${r.from} → <${StateBadge} state=${r.to} /></td><td>${r.actor.type}:${r.actor.id}</td><td>${r.reason}</td>
          <td class="mono small">${r.verdictReasons.map((x) => html`<div>${x.code}${x.metric ? ` ${x.metric}` : ''}${x.variant ? `/${x.variant}` : ''} ${numbers(x.numbers)}</div>`)}</td></tr>`)}</tbody>
      </table></div>`}
    <//>

    <${Section} title="Queue" id="queue">
      ${(queue.data?.waiting ?? []).length === 0 ? html`<p class="muted">No experiment is waiting.</p>` : html`<div class="table-wrap"><table data-testid="queue">
        <thead><tr><th scope="col">Place</th><th scope="col">Experiment</th><th scope="col">Layer</th><th scope="col">Aged priority</th><th scope="col">Why it waits</th></tr></thead>
        <tbody>${queue.data!.waiting.map((w) => html`<tr><td>${w.position}</td><td>${expLink(w.experimentId)}</td><td>${w.layer}</td><td>${num(w.effectivePriority, 4)}</td><td>${w.reason}</td></tr>`)}</tbody>
      </table></div>`}
      <h3>Stuck</h3>
      ${(queue.data?.stuck ?? []).length === 0 ? html`<p class="muted">No experiment is held in a state too long.</p>` : html`<ul data-testid="stuck">${queue.data!.stuck.map((x) => html`<li>${expLink(x.experimentId)} ${x.state} for ${seconds(x.forMs / 1000)} (limit ${seconds(x.limitMs / 1000)})</li>`)}</ul>`}
    <//>

    <${Section} title=${`Experiments (${list.length}, not archived)`} id="all">
      <div class="table-wrap"><table data-testid="experiments">
        <thead><tr><th scope="col">Experiment</th><th scope="col">State</th><th scope="col">Kind</th><th scope="col">Step</th><th scope="col">Exposure</th><th scope="col">Owner</th><th scope="col">Layer</th></tr></thead>
        <tbody>${list.map((e) => html`<tr data-experiment=${e.id}><td>${expLink(e.id)}</td><td><${StateBadge} state=${e.state} /></td><td>${e.kind}</td><td>${e.step}/${e.steps}</td><td>${num(e.exposure)}%</td><td>${e.owner}</td><td>${e.namespace}/${e.layer}</td></tr>`)}</tbody>
      </table></div>
    <//>
  </div>`
}
