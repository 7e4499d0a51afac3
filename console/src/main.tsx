// The console's shell: navigation, project and domain, the live-feed light,
// and the routes (all after '#', so the server serves one page).
import { render } from 'preact';
import { useEffect, useErrorBoundary, useState } from 'preact/hooks';
import { feedState, get, token } from './api';
import { ErrorBox } from './common';
import { EntityKind, EntityList, EntityPage } from './entities';
import { ExecutionPage } from './execution';
import { ExecutionsPage } from './executions';
import { href, Route, useApi, useRoute } from './hooks';
import './style.css';

const SCOPE_KEY = 'flytecpp.scope';

function useScope(): [{ project: string; domain: string }, (s: { project: string; domain: string }) => void] {
  const [scope, setScope] = useState(() => {
    try {
      return JSON.parse(localStorage.getItem(SCOPE_KEY) ?? '') as { project: string; domain: string };
    } catch {
      return { project: 'flytesnacks', domain: 'development' };
    }
  });
  return [scope, (s) => (localStorage.setItem(SCOPE_KEY, JSON.stringify(s)), setScope(s))];
}

function FeedLight() {
  const [connected, setConnected] = useState(feedState.connected);
  useEffect(() => {
    feedState.onChange = () => setConnected(feedState.connected);
  }, []);
  return <span class={connected ? 'feed on' : 'feed off'} title={connected ? 'live updates on' : 'live updates reconnecting'} data-feed={connected ? 'on' : 'off'}>●</span>;
}

function TokenForm() {
  const [text, setText] = useState(token.get());
  return (
    <form class="token-form" onSubmit={(e) => (e.preventDefault(), token.set(text.trim()), location.reload())}>
      <label>
        Bearer token <input type="password" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
      </label>
      <button type="submit">Use</button>
    </form>
  );
}

// A page that fails to render says so, with the way back, instead of
// leaving the page blank.
function Guarded({ route, project, domain }: { route: Route; project: string; domain: string }) {
  const [error, reset] = useErrorBoundary();
  useEffect(() => reset(), [route.path.join('/'), route.query.toString()]);
  if (error) return <ErrorBox title="This page failed" error={`${(error as Error).message ?? error} — go back, or reload`} />;
  return <Page route={route} project={project} domain={domain} />;
}

function Page({ route, project, domain }: { route: Route; project: string; domain: string }) {
  const [head, ...rest] = route.path;
  switch (head ?? 'executions') {
    case 'executions':
      if (rest.length >= 3) return <ExecutionPage key={rest[2]} exec={{ project: rest[0], domain: rest[1], name: rest[2] }} route={route} />;
      return <ExecutionsPage project={project} domain={domain} route={route} />;
    case 'tasks':
    case 'workflows':
    case 'launch_plans': {
      const kind = head as EntityKind;
      if (rest.length >= 4) return <EntityPage kind={kind} id={{ project: rest[0], domain: rest[1], name: rest[2], version: rest[3] }} relaunch={route.query.get('relaunch') ?? undefined} />;
      return <EntityList kind={kind} project={project} domain={domain} />;
    }
  }
  return <ErrorBox title="Not found" error={`The console has no page #/${route.path.join('/')}`} />;
}

function App() {
  const route = useRoute();
  const [scope, setScope] = useScope();
  const projects = useApi(() => get('projects', { limit: 100 }), []);
  const list: any[] = projects.data?.projects ?? [];
  const domains: string[] = (list.find((p) => p.id === scope.project)?.domains ?? [{ id: 'development' }, { id: 'staging' }, { id: 'production' }]).map((d: any) => d.id);
  const unauthorized = projects.error && /token|UNAUTHENTICATED|401/i.test(projects.error);
  const section = route.path[0] ?? 'executions';
  return (
    <>
      <header class="top">
        <a class="brand" href="#/">flytecpp</a>
        <nav>
          <a class={section === 'executions' ? 'active' : ''} href={href(['executions'])}>Executions</a>
          <a class={section === 'launch_plans' ? 'active' : ''} href={href(['launch_plans'])}>Launch plans</a>
          <a class={section === 'workflows' ? 'active' : ''} href={href(['workflows'])}>Workflows</a>
          <a class={section === 'tasks' ? 'active' : ''} href={href(['tasks'])}>Tasks</a>
        </nav>
        <span class="scope">
          <select aria-label="project" value={scope.project} onChange={(e) => setScope({ ...scope, project: (e.target as HTMLSelectElement).value })}>
            {!list.some((p) => p.id === scope.project) && <option value={scope.project}>{scope.project}</option>}
            {list.map((p) => <option value={p.id}>{p.id}</option>)}
          </select>
          <select aria-label="domain" value={scope.domain} onChange={(e) => setScope({ ...scope, domain: (e.target as HTMLSelectElement).value })}>
            {domains.map((d) => <option value={d}>{d}</option>)}
          </select>
          <FeedLight />
        </span>
      </header>
      <main>
        {unauthorized && <TokenForm />}
        <Guarded route={route} project={scope.project} domain={scope.domain} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
