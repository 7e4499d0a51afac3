// Registered tasks, workflows and launch plans with their versions and
// interfaces; a workflow's graph; a launch plan's launch form, generated from
// its interface with its defaults (pre-filled from an execution to relaunch).
import { useState } from 'preact/hooks';
import { call, ExecId, execPath, get, getSchedules, Ident, entityPath, post, ScheduleInfo, seg } from './api';
import { ErrorBox, Loading, Section, time } from './common';
import { emptyState, Graph } from './graph';
import { href, navigate, useApi } from './hooks';
import { InputError, LiteralInput, literalToText, parseLiteral, typeName } from './literals';

export type EntityKind = 'tasks' | 'workflows' | 'launch_plans';
const TITLES: Record<EntityKind, string> = { tasks: 'Tasks', workflows: 'Workflows', launch_plans: 'Launch plans' };

export function EntityList({ kind, project, domain }: { kind: EntityKind; project: string; domain: string }) {
  const list = useApi(() => get(`${kind}/${seg(project)}/${seg(domain)}`, { limit: 500 }), [kind, project, domain]);
  const items: any[] = list.data?.[kind === 'launch_plans' ? 'launch_plans' : kind] ?? [];
  const schedules = useApi(
    () => (kind === 'launch_plans' ? getSchedules(project, domain) : Promise.resolve([] as ScheduleInfo[])),
    [kind, project, domain],
  );
  const nextRun = (name: string) => schedules.data?.find((s) => s.launch_plan.name === name);
  // Newest version first within a name; names sorted.
  const byName = new Map<string, any[]>();
  for (const e of items) byName.set(e.id.name, [...(byName.get(e.id.name) ?? []), e]);
  return (
    <div>
      <h2>{TITLES[kind]} <span class="muted">{project}/{domain}</span></h2>
      <nav class="subnav">
        {(Object.keys(TITLES) as EntityKind[]).map((k) => (
          <a class={k === kind ? 'active' : ''} href={href([k])}>{TITLES[k]}</a>
        ))}
      </nav>
      {list.error && <ErrorBox title={TITLES[kind]} error={list.error} />}
      {!list.data && !list.error && <Loading what={TITLES[kind].toLowerCase()} />}
      {list.data && (
        <table class="list">
          <thead>
            <tr><th>name</th><th>versions</th><th>latest</th><th>created</th>{kind === 'launch_plans' && <><th>state</th><th>next run</th></>}</tr>
          </thead>
          <tbody>
            {[...byName.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, versions]) => {
              const latest = versions[0];
              return (
                <tr key={name} data-entity={name}>
                  <td><a href={href([kind, latest.id.project, latest.id.domain, name, latest.id.version])}>{name}</a></td>
                  <td>{versions.length}</td>
                  <td><code>{latest.id.version}</code></td>
                  <td>{time(latest.closure?.created_at)}</td>
                  {kind === 'launch_plans' && (
                    <>
                      <td>{(latest.closure?.state ?? '').toLowerCase()}</td>
                      <td data-next-run>{nextRun(name) ? `${time(nextRun(name)!.next)} (${nextRun(name)!.schedule})` : ''}</td>
                    </>
                  )}
                </tr>
              );
            })}
            {!byName.size && <tr><td colSpan={6} class="muted">Nothing registered here yet (flytecpp register PKG --server …).</td></tr>}
          </tbody>
        </table>
      )}
    </div>
  );
}

function Interface({ iface }: { iface: any }) {
  const row = (vars: any) =>
    Object.entries<any>(vars?.variables ?? {}).map(([k, v]) => (
      <tr key={k}><th>{k}</th><td><code>{typeName(v.type)}</code></td><td class="muted">{v.description}</td></tr>
    ));
  return (
    <div class="io">
      <div><h4>Inputs</h4><table class="kv"><tbody>{row(iface?.inputs)}</tbody></table></div>
      <div><h4>Outputs</h4><table class="kv"><tbody>{row(iface?.outputs)}</tbody></table></div>
    </div>
  );
}

function Versions({ kind, id }: { kind: EntityKind; id: Ident }) {
  const list = useApi(() => get(`${kind}/${seg(id.project)}/${seg(id.domain)}/${seg(id.name)}`, { limit: 100 }), [kind, id.name]);
  const items: any[] = list.data?.[kind] ?? [];
  return (
    <Section title="Versions">
      <ul class="versions">
        {items.map((e) => (
          <li key={e.id.version}>
            <a class={e.id.version === id.version ? 'active' : ''} href={href([kind, e.id.project, e.id.domain, e.id.name, e.id.version])}>{e.id.version}</a>{' '}
            <span class="muted">{time(e.closure?.created_at)}</span>
          </li>
        ))}
      </ul>
    </Section>
  );
}

export function EntityPage({ kind, id, relaunch }: { kind: EntityKind; id: Ident; relaunch?: string }) {
  const entity = useApi(() => get(`${kind}/${entityPath(id)}`), [kind, id.project, id.domain, id.name, id.version]);
  if (!entity.data) return entity.error ? <ErrorBox title={`${TITLES[kind]}: ${id.name}`} error={entity.error} /> : <Loading what={id.name} />;
  const e = entity.data;
  return (
    <div class="entity">
      <h2>
        {id.name} <code class="muted">{id.version}</code>
      </h2>
      <p class="muted">{TITLES[kind].replace(/s$/, '').toLowerCase()} · {id.project}/{id.domain} · registered {time(e.closure?.created_at)}</p>
      {kind === 'tasks' && <TaskDetail task={e} />}
      {kind === 'workflows' && <WorkflowDetail workflow={e} />}
      {kind === 'launch_plans' && <LaunchPlanDetail lp={e} relaunch={relaunch} />}
      <Versions kind={kind} id={id} />
    </div>
  );
}

function TaskDetail({ task }: { task: any }) {
  const t = task.closure?.compiled_task?.template;
  return (
    <>
      <Interface iface={t?.interface} />
      <details class="section" open>
        <summary>Template ({t?.type})</summary>
        <pre class="json">{JSON.stringify(t, null, 2)}</pre>
      </details>
    </>
  );
}

function WorkflowDetail({ workflow }: { workflow: any }) {
  const closure = workflow.closure?.compiled_workflow;
  const [state] = useState(emptyState);
  return (
    <>
      <Interface iface={closure?.primary?.template?.interface} />
      <Graph closure={closure} state={state} />
    </>
  );
}

function LaunchPlanDetail({ lp, relaunch }: { lp: any; relaunch?: string }) {
  const workflowId = lp.spec?.workflow_id;
  return (
    <>
      {workflowId && (
        <p>
          workflow <a href={href(['workflows', workflowId.project, workflowId.domain, workflowId.name, workflowId.version])}>{workflowId.name}</a>
        </p>
      )}
      <ScheduleSection lp={lp} />
      <LaunchForm lp={lp} relaunch={relaunch} />
    </>
  );
}

// A launch plan's state, with the toggle that (de)activates it, and its
// schedule: active, it fires on it (when next, as the server counts).
function ScheduleSection({ lp }: { lp: any }) {
  const id: Ident = lp.id;
  const [state, setState] = useState<string>(lp.closure?.state ?? 'INACTIVE');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const schedules = useApi(() => getSchedules(id.project, id.domain), [id.project, id.domain, id.name, state]);
  const mine = schedules.data?.find((s) => s.launch_plan.name === id.name && s.launch_plan.version === id.version);
  const hasSchedule = !!lp.spec?.entity_metadata?.schedule;
  const toggle = async () => {
    const next = state === 'ACTIVE' ? 'INACTIVE' : 'ACTIVE';
    setBusy(true);
    setError(undefined);
    try {
      await call('PUT', `launch_plans/${entityPath(id)}`, undefined, { id: { resource_type: 'LAUNCH_PLAN', ...id }, state: next });
      setState(next);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section title="State and schedule">
      <p data-lp-state={state}>
        {state.toLowerCase()}{' '}
        <button type="button" onClick={toggle} disabled={busy}>{state === 'ACTIVE' ? 'Deactivate' : 'Activate'}</button>
      </p>
      {hasSchedule && !mine && <p class="muted">Has a schedule: it fires once this version is active.</p>}
      {mine && (
        <p data-next-run>
          {mine.error ? <span class="error">{mine.error}</span> : <>Fires {mine.schedule}; next {time(mine.next)}</>}
          {mine.kickoff_input && <span class="muted"> · kickoff time into input <code>{mine.kickoff_input}</code></span>}
        </p>
      )}
      {error && <ErrorBox title="Could not change the state" error={error} />}
    </Section>
  );
}

// A field per input of the launch plan: its default (or, to relaunch, the
// execution's input) filled in; fixed inputs shown, not editable.
export function LaunchForm({ lp, relaunch }: { lp: any; relaunch?: string }) {
  const params: Record<string, any> = lp.closure?.expected_inputs?.parameters ?? lp.spec?.default_inputs?.parameters ?? {};
  const fixed: Record<string, any> = lp.spec?.fixed_inputs?.literals ?? {};
  const id: Ident = lp.id;
  const previous = useApi(
    () => (relaunch ? get(`data/executions/${execPath({ project: id.project, domain: id.domain, name: relaunch })}`) : Promise.resolve(null)),
    [relaunch],
  );
  const initial = () => {
    const v: Record<string, string> = {};
    for (const [k, p] of Object.entries<any>(params)) {
      const prior = previous.data?.full_inputs?.literals?.[k];
      v[k] = literalToText(p.var?.type, prior ?? p.default);
    }
    return v;
  };
  const [values, setValues] = useState<Record<string, string> | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  if (relaunch && !previous.data && !previous.error) return <Loading what={`inputs of ${relaunch}`} />;
  const shown = values ?? initial();

  const submit = async (e: Event) => {
    e.preventDefault();
    const literals: Record<string, any> = {};
    const problems: Record<string, string> = {};
    for (const [k, p] of Object.entries<any>(params)) {
      const text = shown[k] ?? '';
      if (text.trim() === '' && !p.required && p.default) continue; // the default applies
      if (text.trim() === '' && p.var?.type?.simple !== 'STRING') {
        if (p.required || !p.default) problems[k] = 'required';
        continue;
      }
      try {
        literals[k] = parseLiteral(p.var?.type, text);
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        problems[k] = err.message;
      }
    }
    setErrors(problems);
    if (Object.keys(problems).length) return;
    setBusy(true);
    setError(undefined);
    try {
      const r = await post('executions', {
        project: id.project,
        domain: id.domain,
        spec: { launch_plan: { resource_type: 'LAUNCH_PLAN', ...id }, metadata: { mode: relaunch ? 'RELAUNCH' : 'MANUAL' } },
        inputs: { literals },
      });
      const created: ExecId = r.id;
      navigate(href(['executions', created.project, created.domain, created.name]));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="launch-form" onSubmit={submit} noValidate>
      <h3>{relaunch ? `Relaunch ${relaunch}` : 'Launch'}</h3>
      {previous.error && <ErrorBox title={`Inputs of ${relaunch}`} error={previous.error} />}
      {Object.entries<any>(params).map(([k, p]) => (
        <LiteralInput key={k} name={k} type={p.var?.type} value={shown[k] ?? ''} error={errors[k]} onInput={(t) => setValues({ ...shown, [k]: t })} />
      ))}
      {Object.keys(fixed).length > 0 && <p class="muted">Fixed: {Object.keys(fixed).join(', ')}</p>}
      {!Object.keys(params).length && <p class="muted">No inputs.</p>}
      {error && <ErrorBox title="Launch failed" error={error} />}
      <button type="submit" class="primary" disabled={busy}>{busy ? 'Launching…' : 'Launch'}</button>
    </form>
  );
}
