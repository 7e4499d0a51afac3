// One execution: header (phase, times, inputs and outputs, error), actions
// (terminate, relaunch, recover), and its graph, timeline and nodes, kept
// current by the change feed; a node panel for the node selected.
import { useMemo, useState } from 'preact/hooks';
import { call, ExecId, execPath, get, post, seg } from './api';
import { duration, ErrorBox, Loading, Phase, Tabs, time, WORKFLOW_TERMINAL } from './common';
import { ArrayProgress, emptyState, Graph, GraphState } from './graph';
import { href, navigate, Route, useApi, useLive } from './hooks';
import { InputsOutputs } from './literals';
import { branchCases, eachNode } from './closure';
import { NodePanel } from './node_panel';
import { Timeline } from './timeline';
import type { ExecutionView, NodeExec } from './views';


const TASK_PHASES = { SUCCEEDED: 'succeeded', FAILED: 'failed', RUNNING: 'running', QUEUED: 'running', INITIALIZING: 'running', WAITING_FOR_RESOURCES: 'running' } as const;

async function loadNodes(exec: ExecId): Promise<NodeExec[]> {
  const all: NodeExec[] = [];
  const level = async (parent: string, depth: number) => {
    const list = await get(`node_executions/${execPath(exec)}`, { limit: 10000, unique_parent_id: parent });
    const nodes: NodeExec[] = list.node_executions ?? [];
    all.push(...nodes);
    if (depth < 6) await Promise.all(nodes.filter((n) => n.metadata?.is_parent_node).map((n) => level(n.id.node_id, depth + 1)));
  };
  await level('', 0);
  return all;
}

// Workflows by id: a version never changes, so each is read once per page
// load (a 10,000-node one is megabytes), not on every refresh.
const workflows = new Map<string, Promise<any>>();
function workflow(id: any): Promise<any> {
  const path = `workflows/${seg(id.project)}/${seg(id.domain)}/${seg(id.name)}/${seg(id.version)}`;
  if (!workflows.has(path)) workflows.set(path, get(path).catch((e) => (workflows.delete(path), Promise.reject(e))));
  return workflows.get(path)!;
}

export async function loadExecution(exec: ExecId): Promise<ExecutionView> {
  const execution = await get(`executions/${execPath(exec)}`);
  const wf = execution.closure?.workflow_id;
  const [registered, nodes, signals] = await Promise.all([
    wf ? workflow(wf) : Promise.resolve(null),
    loadNodes(exec),
    get(`signals/${execPath(exec)}`, { limit: 1000 }).then((s) => s.signals ?? [], () => []),
  ]);
  const closure = registered?.closure?.compiled_workflow;
  const state = emptyState();
  for (const n of nodes) state.phases.set(n.id.node_id, n.closure?.phase);
  const extra: Promise<void>[] = [];
  // Dynamic tasks: the workflow each generated
  // (parents that are task nodes, or nodes of a generated workflow).
  const taskPaths = new Set<string>();
  const known = new Set<string>();
  eachNode(closure, (node, path) => {
    known.add(path);
    if (node.task_node) taskPaths.add(path);
  });
  for (const n of nodes) {
    const path = n.id.node_id;
    if (!n.metadata?.is_parent_node) continue;
    if (!taskPaths.has(path) && known.has(path)) continue;
    extra.push(
      get(`data/node_executions/${execPath(exec)}/${seg(path)}`).then(
        (d) => {
          if (d.dynamic_workflow?.compiled_workflow) state.dynamic.set(path, d.dynamic_workflow.compiled_workflow);
        },
        () => {},
      ),
    );
  }
  eachNode(closure, (node, path) => {
    const phase = state.phases.get(path);
    if (!phase) return;
    // Branches: the case that has a node execution is the one taken.
    if (node.branch_node) {
      const prefix = path.slice(0, path.length - node.id.length);
      for (const c of branchCases(node)) if (state.phases.has(prefix + c.id)) state.taken.set(path, prefix + c.id);
    }
    // Arrays: each element's latest state, from the attempt's resources.
    if (node.array_node) {
      extra.push(
        Promise.all([
          get(`task_executions/${execPath(exec)}/${seg(path)}`, { limit: 100 }),
          get(`data/node_executions/${execPath(exec)}/${seg(path)}`).catch(() => ({})),
        ]).then(
          ([tasks, data]) => {
            const p: ArrayProgress = { total: 0, succeeded: 0, failed: 0, running: 0 };
            const latest = new Map<number, string>();
            for (const t of tasks.task_executions ?? []) for (const r of t.closure?.metadata?.external_resources ?? []) latest.set(r.index ?? 0, r.phase);
            for (const ph of latest.values()) {
              const k = (TASK_PHASES as Record<string, string>)[ph];
              if (k === 'succeeded') p.succeeded++;
              else if (k === 'failed') p.failed++;
              else if (k === 'running') p.running++;
            }
            const lists = Object.values<any>(data.full_inputs?.literals ?? {}).filter((l) => l.collection);
            p.total = Math.max(latest.size, ...lists.map((l) => l.collection.literals?.length ?? 0));
            state.arrays.set(path, p);
          },
          () => {},
        ),
      );
    }
  });
  await Promise.all(extra);
  return { execution, closure, nodes, state, signals };
}

export function ExecutionPage({ exec, route }: { exec: ExecId; route: Route }) {
  const view = useApi(() => loadExecution(exec), [exec.project, exec.domain, exec.name]);
  const data = useApi(() => get(`data/executions/${execPath(exec)}`), [exec.name, view.data?.execution?.closure?.phase]);
  useLive((n) => n.execution === exec.name || (n.execution ?? '').startsWith(exec.name + '-'), view.reload, [exec.name]);
  const tab = (route.query.get('tab') as 'graph' | 'timeline' | 'nodes') ?? 'graph';
  const selected = route.query.get('node') ?? undefined;
  const go = (q: Record<string, string | undefined>) =>
    navigate(href(['executions', exec.project, exec.domain, exec.name], { tab, node: selected, ...q }));
  const [actionError, setActionError] = useState<string>();
  const [signalFor, setSignalFor] = useState<string>();

  if (!view.data) return view.error ? <ErrorBox title={`Execution ${exec.name}`} error={view.error} /> : <Loading what={`execution ${exec.name}`} />;
  const { execution, closure, state, nodes, signals } = view.data;
  const c = execution.closure ?? {};
  const spec = execution.spec ?? {};
  const lp = spec.launch_plan;
  const running = !WORKFLOW_TERMINAL.has(c.phase);

  const act = async (what: () => Promise<void>) => {
    setActionError(undefined);
    try {
      await what();
    } catch (e) {
      setActionError((e as Error).message);
    }
  };
  const terminate = () =>
    act(async () => {
      const cause = prompt('Terminate this execution? Cause:', 'terminated from the console');
      if (cause === null) return;
      await call('DELETE', `executions/${execPath(exec)}`, undefined, { id: exec, cause });
      view.reload();
    });
  const recover = () =>
    act(async () => {
      const r = await post('executions/recover', { id: exec });
      navigate(href(['executions', r.id.project, r.id.domain, r.id.name]));
    });
  const gate = (path: string, signal: string, approve: boolean | undefined) => {
    if (approve === undefined) {
      setSignalFor(path);
      go({ node: path });
      return;
    }
    act(async () => {
      await post('signals', { id: { execution_id: exec, signal_id: signal }, value: { scalar: { primitive: { boolean: approve } } } });
      view.reload();
    });
  };

  return (
    <div class="execution">
      <header class="exec-header">
        <div>
          <h2>
            {exec.name} <Phase phase={c.phase} />
          </h2>
          <p class="muted">
            {c.workflow_id && <>workflow <a href={href(['workflows', c.workflow_id.project, c.workflow_id.domain, c.workflow_id.name, c.workflow_id.version])}>{c.workflow_id.name}</a> · </>}
            {lp?.name && <>launch plan <a href={href(['launch_plans', lp.project, lp.domain, lp.name, lp.version])}>{lp.name}</a> · </>}
            created {time(c.created_at)} · {running ? 'running' : 'took'} {duration(c.duration)}
            {spec.metadata?.mode && spec.metadata.mode !== 'MANUAL' && <> · {spec.metadata.mode.toLowerCase()} of {spec.metadata.reference_execution?.name}</>}
          </p>
        </div>
        <div class="actions">
          {running && <button type="button" class="danger" onClick={terminate}>Terminate</button>}
          {lp?.name && <a class="button" href={href(['launch_plans', lp.project, lp.domain, lp.name, lp.version], { relaunch: exec.name })}>Relaunch</a>}
          {(c.phase === 'FAILED' || c.phase === 'ABORTED' || c.phase === 'TIMED_OUT') && <button type="button" onClick={recover}>Recover</button>}
        </div>
      </header>
      {actionError && <ErrorBox title="Action failed" error={actionError} />}
      {view.error && <ErrorBox title="Refresh failed" error={view.error} />}
      <ErrorBox title="Error" error={c.error} />
      {c.abort_metadata && <p class="muted">Aborted: {c.abort_metadata.cause} {c.abort_metadata.principal && `(by ${c.abort_metadata.principal})`}</p>}
      <InputsOutputs data={data.data} ended={!running} />
      <Tabs tabs={[['graph', 'Graph'], ['timeline', 'Timeline'], ['nodes', 'Nodes']]} value={tab} onChange={(t) => go({ tab: t })} />
      <div class="exec-body">
        <div class="exec-main">
          {tab === 'graph' &&
            (closure ? (
              <Graph closure={closure} state={state} selected={selected} onSelect={(p) => go({ node: p })} onGate={gate} />
            ) : (
              <p class="muted">The workflow of this execution is not registered here, so there is no graph.</p>
            ))}
          {tab === 'timeline' && <Timeline exec={exec} nodes={nodes} onSelect={(p) => go({ node: p })} />}
          {tab === 'nodes' && <NodeTable nodes={nodes} onSelect={(p) => go({ node: p })} />}
        </div>
        {selected && (
          <NodePanel
            exec={exec}
            path={selected}
            view={view.data}
            signals={signals}
            openSignal={signalFor === selected}
            onClose={() => go({ node: undefined })}
            onSelect={(p) => go({ node: p })}
            onChanged={view.reload}
          />
        )}
      </div>
    </div>
  );
}

function NodeTable({ nodes, onSelect }: { nodes: NodeExec[]; onSelect: (p: string) => void }) {
  const sorted = useMemo(() => [...nodes].sort((a, b) => (a.closure.created_at ?? '').localeCompare(b.closure.created_at ?? '')), [nodes]);
  return (
    <table class="list">
      <thead>
        <tr><th>node</th><th>phase</th><th>started</th><th>duration</th><th>attempts</th></tr>
      </thead>
      <tbody>
        {sorted.map((n) => (
          <tr key={n.id.node_id} onClick={() => onSelect(n.id.node_id)} class="clickable">
            <td><code>{n.id.node_id}</code></td>
            <td><Phase phase={n.closure.phase} /></td>
            <td>{time(n.closure.started_at)}</td>
            <td>{duration(n.closure.duration)}</td>
            <td>{Number(n.metadata?.retry_group ?? 0) + 1}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
