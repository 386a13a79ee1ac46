import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { ApiError, get, type Session, token } from './api.js'
import { ErrorNote } from './components.js'
import { html } from './html.js'
import { Exec } from './views/exec.js'
import { ExperimentView } from './views/experiment.js'
import { OnCall } from './views/oncall.js'

type Route = { view: 'oncall' } | { view: 'exec' } | { view: 'experiment'; id: string } | { view: 'unknown' }

export function route(path: string): Route {
  if (path === '/' || path === '') return { view: 'oncall' }
  if (path === '/exec') return { view: 'exec' }
  const m = /^\/experiments\/([^/]+)$/.exec(path)
  return m ? { view: 'experiment', id: decodeURIComponent(m[1]!) } : { view: 'unknown' }
}

function useLocation(): string {
  const [path, setPath] = useState(location.pathname)
  useEffect(() => {
    const onPop = () => setPath(location.pathname)
    // Links marked data-nav move within the app; the URL stays shareable.
    const onClick = (e: MouseEvent) => {
      const a = (e.target as HTMLElement).closest('a[data-nav]') as HTMLAnchorElement | null
      if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return
      e.preventDefault()
      history.pushState(null, '', a.getAttribute('href'))
      setPath(location.pathname)
      window.scrollTo(0, 0)
      document.getElementById('main')?.focus()
    }
    addEventListener('popstate', onPop)
    document.addEventListener('click', onClick)
    return () => {
      removeEventListener('popstate', onPop)
      document.removeEventListener('click', onClick)
    }
  }, [])
  return path
}

function SignIn({ onSignedIn, error }: { onSignedIn: () => void; error: Error | null }) {
  const [value, setValue] = useState('')
  const submit = (e: Event) => {
    e.preventDefault()
    if (value.trim() === '') return
    token.set(value.trim())
    onSignedIn()
  }
  return html`<form class="card signin" onSubmit=${submit} data-testid="signin">
    <h1>Sign in</h1>
    <p>This server requires an API token (<code>runway token create</code>). It is kept in this tab's session storage only, and sent to this server alone.</p>
    <label for="token">API token</label>
    <input id="token" type="password" autocomplete="off" spellcheck="false" value=${value} onInput=${(e: Event) => setValue((e.target as HTMLInputElement).value)} required />
    <${ErrorNote} error=${error} />
    <button type="submit" class="primary">Sign in</button>
  </form>`
}

function App() {
  const path = useLocation()
  const [session, setSession] = useState<Session | null>(null)
  const [needsToken, setNeedsToken] = useState(false)
  const [error, setError] = useState<Error | null>(null)
  const load = async () => {
    try {
      // Public: tells whether a token is needed without a refused request.
      const { auth } = await get<{ auth: string }>('/v1/ui/auth')
      if (auth === 'required' && !token.get()) return setNeedsToken(true)
      setSession(await get<Session>('/v1/ui/session'))
      setNeedsToken(false)
      setError(null)
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        token.clear()
        setNeedsToken(true)
      }
      setError(e as Error)
    }
  }
  useEffect(() => void load(), [])
  const r = route(path)
  useEffect(() => {
    document.title = `${r.view === 'experiment' ? r.id : r.view === 'exec' ? 'Executive' : r.view === 'oncall' ? 'On-call' : 'Not found'} · Runway`
  }, [path])
  const signOut = () => {
    token.clear()
    setSession(null)
    setNeedsToken(true)
  }
  const nav = (href: string, label: string, active: boolean) => html`<a href=${href} data-nav aria-current=${active ? 'page' : undefined}>${label}</a>`
  return html`<a class="skip" href="#main">Skip to content</a>
    <header class="top">
      <a class="brand" href="/" data-nav>Runway</a>
      <nav aria-label="Views">${nav('/', 'On-call', r.view === 'oncall')}${nav('/exec', 'Executive', r.view === 'exec')}</nav>
      <div class="who">${session?.principal ? html`<span data-testid="who">${session.principal.name} (${session.principal.grants.map((g) => `${g.role}@${g.namespace}`).join(', ')})</span> <button type="button" onClick=${signOut}>Sign out</button>` : session ? html`<span class="muted">auth off</span>` : null}</div>
    </header>
    <main id="main" tabindex="-1">
      ${needsToken ? html`<${SignIn} onSignedIn=${load} error=${error} />` : !session ? html`<${ErrorNote} error=${error} />${error ? null : html`<p class="muted">loading…</p>`}` :
        r.view === 'oncall' ? html`<${OnCall} />` : r.view === 'exec' ? html`<${Exec} />` : r.view === 'experiment' ? html`<${ExperimentView} key=${r.id} id=${r.id} session=${session} />` : html`<h1>Not found</h1><p><a href="/" data-nav>On-call view</a></p>`}
    </main>`
}

render(html`<${App} />`, document.getElementById('app')!)
