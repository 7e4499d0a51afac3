// Gantt bars per node and attempt: queued (created → started) light, running
// (started → end, or now) in the phase's colour; every attempt of a task node
// is its own bar, so retries show.
import { useEffect, useState } from 'preact/hooks';
import { ExecId, execPath, get, seg } from './api';
import { duration, ms, NODE_TERMINAL, TASK_TERMINAL } from './common';
import type { NodeExec } from './views';

interface Bar {
  path: string;
  label: string;
  queued: number;
  started: number;
  ended: number;
  phase: string;
}

const MAX_ATTEMPT_LOOKUPS = 300;

export function Timeline({ exec, nodes, onSelect }: { exec: ExecId; nodes: NodeExec[]; onSelect: (p: string) => void }) {
  const [attempts, setAttempts] = useState<Map<string, any[]>>(new Map());
  const key = nodes.map((n) => n.id.node_id + n.closure.phase).join();
  useEffect(() => {
    let live = true;
    const wanted = nodes.filter((n) => !n.metadata?.is_parent_node).slice(0, MAX_ATTEMPT_LOOKUPS);
    Promise.all(
      wanted.map((n) =>
        get(`task_executions/${execPath(exec)}/${seg(n.id.node_id)}`, { limit: 100 }).then(
          (t) => [n.id.node_id, t.task_executions ?? []] as const,
          () => [n.id.node_id, []] as const,
        ),
      ),
    ).then((pairs) => live && setAttempts(new Map(pairs)));
    return () => {
      live = false;
    };
  }, [exec.name, key]);

  const now = Date.now();
  const bars: Bar[] = [];
  const sorted = [...nodes].sort((a, b) => (a.closure.created_at ?? '').localeCompare(b.closure.created_at ?? ''));
  for (const n of sorted) {
    const path = n.id.node_id;
    // An array node's "attempt" carries its elements' states, not an
    // attempt of its own: the node's bar stands for it.
    const tries = (attempts.get(path) ?? []).filter((t) => t.closure?.task_type !== 'container_array');
    const end = (c: any, terminal: Set<string>) => (terminal.has(c.phase) ? ms(c.updated_at) : now);
    if (tries.length) {
      for (const t of tries) {
        const c = t.closure ?? {};
        const queued = ms(c.created_at);
        bars.push({ path, label: `${path} #${t.id.retry_attempt ?? 0}`, queued, started: ms(c.started_at) || queued, ended: end(c, TASK_TERMINAL), phase: c.phase });
      }
    } else {
      const c = n.closure ?? {};
      const queued = ms(c.created_at);
      bars.push({ path, label: path, queued, started: ms(c.started_at) || queued, ended: end(c, NODE_TERMINAL), phase: c.phase });
    }
  }
  const valid = bars.filter((b) => Number.isFinite(b.queued));
  if (!valid.length) return <p class="muted">Nothing has started yet.</p>;
  const t0 = Math.min(...valid.map((b) => b.queued));
  const t1 = Math.max(...valid.map((b) => (Number.isFinite(b.ended) ? b.ended : b.started)), t0 + 1);
  const pct = (t: number) => `${((t - t0) / (t1 - t0)) * 100}%`;
  const width = (a: number, b: number) => `${Math.max(0.2, ((b - a) / (t1 - t0)) * 100)}%`;
  return (
    <div class="timeline">
      <div class="timeline-scale muted">
        <span>0</span>
        <span>{duration((t1 - t0) / 1000)}</span>
      </div>
      {valid.map((b, i) => (
        <div class="timeline-row clickable" key={i} onClick={() => onSelect(b.path)} data-bar={b.label} data-phase={b.phase}>
          <span class="timeline-label" title={b.label}>{b.label}</span>
          <span class="timeline-track">
            <span class="bar queued" style={{ left: pct(b.queued), width: width(b.queued, b.started) }} title={`queued ${duration((b.started - b.queued) / 1000)}`} />
            <span class={'bar run phase-' + (b.phase ?? '').toLowerCase()} style={{ left: pct(b.started), width: width(b.started, b.ended) }} title={`${(b.phase ?? '').toLowerCase()} ${duration((b.ended - b.started) / 1000)}`} />
          </span>
        </div>
      ))}
    </div>
  );
}
