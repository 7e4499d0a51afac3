// The node selected: its phase, times and error; inputs and outputs; its
// attempts (errors, cache status); the task template; an array's elements;
// a waiting gate's approve/reject or typed signal form; and its logs,
// streamed from the server as they are written.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ExecId, execPath, followLog, get, post, seg } from './api';
import { duration, ErrorBox, NODE_TERMINAL, Phase, Section, Tabs, time } from './common';
import { eachNode } from './closure';
import type { ExecutionView } from './views';
import { useApi } from './hooks';
import { InputError, InputsOutputs, LiteralInput, parseLiteral, typeName } from './literals';

interface Props {
  exec: ExecId;
  path: string;
  view: ExecutionView;
  signals: any[];
  openSignal: boolean;
  onClose: () => void;
  onChanged: () => void;
  onSelect: (path: string) => void;
}

export function NodePanel({ exec, path, view, signals, onClose, onChanged, onSelect }: Props) {
  const node = view.nodes.find((n) => n.id.node_id === path);
  const phase = node?.closure?.phase;
  let spec: any;
  eachNode(view.closure, (n, p) => p === path && (spec = n));
  const data = useApi(() => (node ? get(`data/node_executions/${execPath(exec)}/${seg(path)}`) : Promise.resolve(null)), [path, phase]);
  const attempts = useApi(
    () => (node && (spec?.task_node || spec?.array_node || !spec) ? get(`task_executions/${execPath(exec)}/${seg(path)}`, { limit: 100 }) : Promise.resolve(null)),
    [path, phase, node?.metadata?.retry_group],
  );
  const tasks: any[] = attempts.data?.task_executions ?? [];
  const taskId = spec?.task_node?.reference_id ?? spec?.array_node?.node?.task_node?.reference_id ?? tasks[0]?.id?.task_id;
  const template = (view.closure?.tasks ?? []).find((t: any) => t.template?.id?.name === taskId?.name && t.template?.id?.version === taskId?.version)?.template;
  const gate = spec?.gate_node;
  const signalId = gate?.approve?.signal_id ?? gate?.signal?.signal_id;
  const signal = signals.find((s) => s.id?.signal_id === signalId);
  // The node alone: its cache status is read for one node, not in lists.
  const single = useApi(() => (node ? get(`node_executions/${execPath(exec)}/${seg(path)}`) : Promise.resolve(null)), [path, phase]);
  const cache = single.data?.closure?.task_node_metadata?.cache_status;

  return (
    <aside class="node-panel" data-panel={path}>
      <header>
        <h3>
          <code>{path}</code> <Phase phase={phase} />
        </h3>
        <button type="button" class="close" onClick={onClose} aria-label="Close">×</button>
      </header>
      {!node && <p class="muted">This node has not started.</p>}
      {node && (
        <p class="muted">
          queued {time(node.closure.created_at)} · started {time(node.closure.started_at)} · {duration(node.closure.duration)}
          {cache && cache !== 'CACHE_DISABLED' && <span data-cache={cache}> · cache {cache.replace('CACHE_', '').toLowerCase()}</span>}
        </p>
      )}
      <ErrorBox title="Error" error={node?.closure?.error} />
      {spec?.branch_node && view.state.taken.get(path) && (
        <p>
          Took the case{' '}
          <a href="#" data-case={view.state.taken.get(path)} onClick={(e) => (e.preventDefault(), onSelect(view.state.taken.get(path)!))}>
            {view.state.taken.get(path)}
          </a>
          .
        </p>
      )}
      {gate && signalId && phase === 'RUNNING' && <GateForm exec={exec} signalId={signalId} approve={!!gate.approve} type={signal?.type ?? gate.signal?.type} onDone={onChanged} />}
      {gate && signal?.value && (
        <p>
          Signal <code>{signalId}</code> was given.
        </p>
      )}
      {data.error && <ErrorBox title="Data" error={data.error} />}
      {node && <InputsOutputs data={data.data} ended={NODE_TERMINAL.has(phase)} small />}
      {spec?.array_node && <ArrayElements tasks={tasks} />}
      {tasks.length > 0 && !spec?.array_node && (
        <Section title="Attempts">
          <table class="list">
            <thead>
              <tr><th>#</th><th>phase</th><th>started</th><th>duration</th><th>error</th></tr>
            </thead>
            <tbody>
              {tasks.map((t) => (
                <tr key={t.id.retry_attempt ?? 0} data-attempt={t.id.retry_attempt ?? 0}>
                  <td>{t.id.retry_attempt ?? 0}</td>
                  <td><Phase phase={t.closure.phase} /></td>
                  <td>{time(t.closure.started_at)}</td>
                  <td>{duration(t.closure.duration)}</td>
                  <td>{t.closure.error && <span class="error">{t.closure.error.code}: {t.closure.error.message}</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
      )}
      {tasks.some((t) => t.closure?.logs?.length) && !spec?.array_node && <Logs tasks={tasks} />}
      {template && (
        <details class="section">
          <summary>Task template {template.id?.name}</summary>
          <pre class="json">{JSON.stringify(template, null, 2)}</pre>
        </details>
      )}
    </aside>
  );
}

function ArrayElements({ tasks }: { tasks: any[] }) {
  const latest = new Map<number, any>();
  for (const t of tasks) for (const r of t.closure?.metadata?.external_resources ?? []) latest.set(r.index ?? 0, r);
  const rows = [...latest.values()].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
  return (
    <Section title={`Elements (${rows.length} started)`}>
      <table class="list" data-elements={rows.length}>
        <thead>
          <tr><th>index</th><th>phase</th><th>attempt</th></tr>
        </thead>
        <tbody>
          {rows.slice(0, 500).map((r) => (
            <tr key={r.index ?? 0}>
              <td>{r.index ?? 0}</td>
              <td><Phase phase={r.phase} /></td>
              <td>{r.retry_attempt ?? 0}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length > 500 && <p class="muted">… and {rows.length - 500} more</p>}
    </Section>
  );
}

// Logs of one attempt and stream, followed while the attempt runs.
function Logs({ tasks }: { tasks: any[] }) {
  const [attempt, setAttempt] = useState<number>(tasks[tasks.length - 1].id.retry_attempt ?? 0);
  const [stream, setStream] = useState<'stdout' | 'stderr'>('stdout');
  const [follow, setFollow] = useState(true);
  const [text, setText] = useState('');
  const [error, setError] = useState<string>();
  const [streaming, setStreaming] = useState(false);
  const pre = useRef<HTMLPreElement>(null);
  const task = tasks.find((t) => (t.id.retry_attempt ?? 0) === attempt) ?? tasks[tasks.length - 1];
  const uri = task.closure?.logs?.find((l: any) => l.name === stream)?.uri;
  useEffect(() => {
    setText('');
    setError(undefined);
    if (!uri) return;
    const abort = new AbortController();
    setStreaming(true);
    followLog(uri, (t) => setText((s) => s + t), abort.signal)
      .catch((e) => abort.signal.aborted || setError((e as Error).message))
      .finally(() => abort.signal.aborted || setStreaming(false));
    return () => abort.abort();
  }, [uri]);
  useEffect(() => {
    if (follow && pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [text, follow]);
  return (
    <Section title="Logs">
      <div class="log-tools">
        {tasks.length > 1 && (
          <select value={attempt} onChange={(e) => setAttempt(Number((e.target as HTMLSelectElement).value))} aria-label="attempt">
            {tasks.map((t) => <option value={t.id.retry_attempt ?? 0}>attempt {t.id.retry_attempt ?? 0}</option>)}
          </select>
        )}
        <Tabs tabs={[['stdout', 'stdout'], ['stderr', 'stderr']]} value={stream} onChange={setStream} />
        <label>
          <input type="checkbox" checked={follow} onChange={(e) => setFollow((e.target as HTMLInputElement).checked)} /> follow
        </label>
        {streaming && <span class="muted live">● live</span>}
      </div>
      {error && <ErrorBox title="Logs" error={error} />}
      <pre class="log" ref={pre} data-log={stream}>{text || (streaming ? '' : '(empty)')}</pre>
    </Section>
  );
}

// Approve/reject, or a value of the signal's type, checked before sending.
function GateForm({ exec, signalId, approve, type, onDone }: { exec: ExecId; signalId: string; approve: boolean; type: any; onDone: () => void }) {
  const [text, setText] = useState('');
  const [fieldError, setFieldError] = useState<string>();
  const [error, setError] = useState<string>();
  const send = async (value: any) => {
    setError(undefined);
    try {
      await post('signals', { id: { execution_id: exec, signal_id: signalId }, value });
      onDone();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  if (approve) {
    return (
      <div class="gate-form">
        <p>Waiting for approval (<code>{signalId}</code>).</p>
        <button type="button" class="primary" onClick={() => send({ scalar: { primitive: { boolean: true } } })}>Approve</button>{' '}
        <button type="button" class="danger" onClick={() => send({ scalar: { primitive: { boolean: false } } })}>Reject</button>
        {error && <ErrorBox error={error} />}
      </div>
    );
  }
  const submit = (e: Event) => {
    e.preventDefault();
    try {
      const value = parseLiteral(type, text);
      setFieldError(undefined);
      send(value);
    } catch (err) {
      if (err instanceof InputError) setFieldError(err.message);
      else throw err;
    }
  };
  return (
    <form class="gate-form" onSubmit={submit} noValidate>
      <p>
        Waiting for signal <code>{signalId}</code> ({typeName(type)}).
      </p>
      <LiteralInput name={signalId} type={type} value={text} error={fieldError} onInput={setText} />
      <button type="submit" class="primary">Send</button>
      {error && <ErrorBox error={error} />}
    </form>
  );
}
