import { useRef, useState } from 'preact/hooks'
import { ApiError, post, type ShownSql } from './api.js'
import { html } from './html.js'

export const link = (href: string, text: string) => html`<a href=${href} data-nav>${text}</a>`
export const expLink = (id: string) => link(`/experiments/${encodeURIComponent(id)}`, id)

export function StateBadge({ state }: { state: string }) {
  return html`<span class=${`badge s-${state}`}>${state.replace('_', ' ')}</span>`
}

export function Tile({ label, value, note, tone, testId }: { label: string; value: string; note?: string; tone?: 'ok' | 'warn' | 'bad'; testId?: string }) {
  return html`<div class=${`tile ${tone ?? ''}`} data-testid=${testId}>
    <div class="tile-label">${label}</div>
    <div class="tile-value">${value}</div>
    ${note ? html`<div class="tile-note">${note}</div>` : null}
  </div>`
}

export function Section({ title, id, children, actions }: { title: string; id: string; children: unknown; actions?: unknown }) {
  return html`<section aria-labelledby=${`h-${id}`} class="card">
    <div class="card-head"><h2 id=${`h-${id}`}>${title}</h2>${actions ?? null}</div>
    ${children}
  </section>`
}

export function ErrorNote({ error }: { error: Error | null }) {
  if (!error) return null
  return html`<p class="error" role="alert">${error instanceof ApiError ? `${error.code}: ${error.message}` : error.message}</p>`
}

/** The SQL behind a number: the file, its parameters inlined, and a copy button. */
export function SqlBlocks({ queries }: { queries: ShownSql[] }) {
  const [copied, setCopied] = useState<string | null>(null)
  const copy = async (q: ShownSql, pre: HTMLElement | null) => {
    try {
      await navigator.clipboard.writeText(q.sql)
    } catch {
      // Clipboard refused (insecure origin): select the text so Ctrl+C copies it.
      if (pre) window.getSelection()?.selectAllChildren(pre)
    }
    setCopied(q.name + JSON.stringify(q.params))
  }
  return html`<div class="sql-list">
    ${queries.map((q) => {
      const key = q.name + JSON.stringify(q.params)
      let pre: HTMLElement | null = null
      return html`<details class="sql">
        <summary>${q.name}</summary>
        <pre ref=${(e: HTMLElement | null) => (pre = e)} tabindex="0"><code>${q.sql}</code></pre>
        <button type="button" onClick=${() => copy(q, pre)}>${copied === key ? 'Copied' : 'Copy SQL'}</button>
      </details>`
    })}
  </div>`
}

export type Action = 'pause' | 'resume' | 'rollback' | 'approve' | 'cancel'
const LABEL: Record<Action, string> = { pause: 'Pause', resume: 'Resume', rollback: 'Roll back', approve: 'Approve ramp', cancel: 'Cancel' }

/** Which actions make sense in a state (the API decides; this only hides buttons that would be refused). */
export function actionsFor(state: string, pendingApproval: boolean, canAct: boolean, canApprove: boolean): Action[] {
  const out: Action[] = []
  if (canAct) {
    if (state === 'running') out.push('pause', 'rollback')
    if (state === 'paused') out.push('resume', 'rollback')
    if (['queued', 'scheduled', 'running', 'paused'].includes(state)) out.push('cancel')
  }
  if (canApprove && pendingApproval) out.push('approve')
  return out
}

/** Action buttons, each asking for a reason in a modal dialog before POST /v1/experiments/:id/<action>. */
export function ActionBar({ id, actions, onDone }: { id: string; actions: Action[]; onDone: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null)
  const [action, setAction] = useState<Action | null>(null)
  const [reason, setReason] = useState('')
  const [error, setError] = useState<Error | null>(null)
  const [busy, setBusy] = useState(false)
  const [done, setDone] = useState<string | null>(null)
  if (actions.length === 0) return null
  const open = (a: Action) => {
    setAction(a)
    setReason('')
    setError(null)
    dialog.current?.showModal()
  }
  const submit = async (e: Event) => {
    e.preventDefault()
    if (!action || reason.trim() === '') return
    setBusy(true)
    try {
      await post(`/v1/experiments/${encodeURIComponent(id)}/${action}`, { reason: reason.trim() })
      dialog.current?.close()
      setDone(`${LABEL[action]}: done`)
      onDone()
    } catch (err) {
      setError(err as Error)
    } finally {
      setBusy(false)
    }
  }
  return html`<div class="actions" role="group" aria-label="Actions">
    ${actions.map((a) => html`<button type="button" class=${`act act-${a}`} data-action=${a} onClick=${() => open(a)}>${LABEL[a]}</button>`)}
    ${done ? html`<span class="muted" role="status">${done}</span>` : null}
    <dialog ref=${dialog} aria-labelledby="act-title">
      <form onSubmit=${submit}>
        <h2 id="act-title">${action ? `${LABEL[action]} ${id}` : ''}</h2>
        <label for="act-reason">Reason (required, recorded on the ledger)</label>
        <textarea id="act-reason" name="reason" required rows="3" value=${reason} onInput=${(e: Event) => setReason((e.target as HTMLTextAreaElement).value)}></textarea>
        <${ErrorNote} error=${error} />
        <div class="dialog-buttons">
          <button type="button" onClick=${() => dialog.current?.close()}>Close</button>
          <button type="submit" class="primary" disabled=${busy || reason.trim() === ''}>${action ? LABEL[action] : ''}</button>
        </div>
      </form>
    </dialog>
  </div>`
}
