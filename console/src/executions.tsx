// Executions of a project and domain: newest first, filtered by phase,
// workflow, launch plan and start time, paged, with counts per phase; live.
import { useState } from 'preact/hooks';
import { get, seg } from './api';
import { duration, ErrorBox, Loading, Phase, time } from './common';
import { href, navigate, Route, useApi, useLive } from './hooks';

const PHASES = ['QUEUED', 'RUNNING', 'SUCCEEDING', 'SUCCEEDED', 'FAILING', 'FAILED', 'ABORTED', 'TIMED_OUT'];
const PAGE = 25;

// flyteadmin's filter syntax, from the page's query.
function filters(q: URLSearchParams, withPhase: boolean): string {
  const f: string[] = [];
  if (withPhase && q.get('phase')) f.push(`eq(phase,${q.get('phase')})`);
  if (q.get('workflow')) f.push(`contains(workflow.name,${q.get('workflow')})`);
  if (q.get('launch_plan')) f.push(`contains(launch_plan.name,${q.get('launch_plan')})`);
  const since = Date.parse(q.get('since') ?? '');
  if (!isNaN(since)) f.push(`gte(created_at,${new Date(since).toISOString()})`);
  return f.join('+');
}

export function ExecutionsPage({ project, domain, route }: { project: string; domain: string; route: Route }) {
  const q = route.query;
  const tokens = (q.get('page') ?? '').split(',').filter(Boolean); // tokens of the pages before this one
  const token = tokens[tokens.length - 1];
  const list = useApi(
    () => get(`executions/${seg(project)}/${seg(domain)}`, { limit: PAGE, token, filters: filters(q, true) }),
    [project, domain, q.toString()],
  );
  // Counts per phase under the other filters (one listing of up to 10,000).
  const counts = useApi(async () => {
    const all = await get(`executions/${seg(project)}/${seg(domain)}`, { limit: 10000, filters: filters(q, false) });
    const c = new Map<string, number>();
    for (const e of all.executions ?? []) c.set(e.closure.phase, (c.get(e.closure.phase) ?? 0) + 1);
    return { c, total: (all.executions ?? []).length, more: !!all.token };
  }, [project, domain, q.get('workflow'), q.get('launch_plan'), q.get('since')]);
  useLive((n) => n.kind === 'workflow', () => (list.reload(), counts.reload()), [project, domain]);

  const set = (changes: Record<string, string | undefined>) => {
    const next: Record<string, string | undefined> = Object.fromEntries(q.entries());
    Object.assign(next, changes, { page: changes.page });
    navigate(href(['executions'], next));
  };
  const [draft, setDraft] = useState({ workflow: q.get('workflow') ?? '', launch_plan: q.get('launch_plan') ?? '', since: q.get('since') ?? '' });
  const apply = (e: Event) => {
    e.preventDefault();
    set({ ...draft, phase: q.get('phase') ?? undefined });
  };
  const executions: any[] = list.data?.executions ?? [];

  return (
    <div>
      <h2>Executions <span class="muted">{project}/{domain}</span></h2>
      <div class="counts">
        <button type="button" class={!q.get('phase') ? 'chip active' : 'chip'} onClick={() => set({ phase: undefined })}>
          all {counts.data && <b>{counts.data.total}{counts.data.more ? '+' : ''}</b>}
        </button>
        {PHASES.filter((p) => counts.data?.c.get(p) || q.get('phase') === p).map((p) => (
          <button type="button" class={q.get('phase') === p ? 'chip active' : 'chip'} data-count={p} onClick={() => set({ phase: p })}>
            {p.toLowerCase()} <b>{counts.data?.c.get(p) ?? 0}</b>
          </button>
        ))}
      </div>
      <form class="filters" onSubmit={apply}>
        <input placeholder="workflow name contains" value={draft.workflow} onInput={(e) => setDraft({ ...draft, workflow: (e.target as HTMLInputElement).value })} />
        <input placeholder="launch plan contains" value={draft.launch_plan} onInput={(e) => setDraft({ ...draft, launch_plan: (e.target as HTMLInputElement).value })} />
        <label>
          since <input type="datetime-local" value={draft.since} onInput={(e) => setDraft({ ...draft, since: (e.target as HTMLInputElement).value })} />
        </label>
        <button type="submit">Filter</button>
      </form>
      {list.error && <ErrorBox title="Executions" error={list.error} />}
      {!list.data && !list.error && <Loading what="executions" />}
      {list.data && (
        <table class="list executions">
          <thead>
            <tr><th>name</th><th>phase</th><th>workflow</th><th>launch plan</th><th>created</th><th>duration</th></tr>
          </thead>
          <tbody>
            {executions.map((e) => (
              <tr key={e.id.name} data-execution={e.id.name}>
                <td><a href={href(['executions', e.id.project, e.id.domain, e.id.name])}>{e.id.name}</a></td>
                <td><Phase phase={e.closure.phase} /></td>
                <td>{e.closure.workflow_id?.name}</td>
                <td>{e.spec?.launch_plan?.name}</td>
                <td>{time(e.closure.created_at)}</td>
                <td>{duration(e.closure.duration)}</td>
              </tr>
            ))}
            {!executions.length && (
              <tr><td colSpan={6} class="muted">No executions{filters(q, true) ? ' match' : ' yet: run a workflow with `flytecpp run`, or launch one from Launch plans'}.</td></tr>
            )}
          </tbody>
        </table>
      )}
      <div class="pager">
        {tokens.length > 0 && <button type="button" onClick={() => set({ page: tokens.slice(0, -1).join(',') || undefined })}>← Newer</button>}
        {list.data?.token && <button type="button" onClick={() => set({ page: [...tokens, list.data.token].join(',') })}>Older →</button>}
      </div>
    </div>
  );
}
