// The compiled DAG, laid out left to right, coloured by phase. Sub-workflows
// and dynamic workflows expand in place (collapsed by default); branches show
// the case taken; array nodes are one node with an element progress bar;
// gates waiting for approval carry the buttons that release them. Pan by
// dragging, zoom with the wheel. Only what is in view is drawn, and below a
// zoom of 0.45 without labels, so a 10,000-node graph stays usable.
import { JSX } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { branchCases } from './closure';
import { Box, layout, Layout } from './layout';

export interface ArrayProgress {
  total: number;
  succeeded: number;
  failed: number;
  running: number;
}

export interface GraphState {
  phases: Map<string, string>; // node path -> NodeExecution phase
  arrays: Map<string, ArrayProgress>; // array node path -> its elements
  dynamic: Map<string, any>; // node path -> the CompiledWorkflowClosure it generated
  taken: Map<string, string>; // branch path -> the path of the case it runs
}

export const emptyState = (): GraphState => ({ phases: new Map(), arrays: new Map(), dynamic: new Map(), taken: new Map() });

type Kind = 'start' | 'end' | 'task' | 'subworkflow' | 'launchplan' | 'branch' | 'gate' | 'array' | 'dynamic' | 'node';

interface Item {
  path: string;
  id: string;
  label: string;
  kind: Kind;
  detail?: string;
  gate?: { signal: string; approve: boolean; path: string }; // path: the gate node's
  inner?: Built; // expanded
  expandable: boolean;
  w: number;
  h: number;
}

interface Built {
  items: Map<string, Item>;
  edges: [string, string][];
  layout: Layout;
}

const sameId = (a: any, b: any) => a && b && a.name === b.name && (a.version ?? '') === (b.version ?? '') && (a.project ?? '') === (b.project ?? '');

function kindOf(node: any, path: string, state: GraphState): Kind {
  if (node.id === 'start-node') return 'start';
  if (node.id === 'end-node') return 'end';
  if (node.branch_node) return 'branch';
  if (node.gate_node) return 'gate';
  if (node.array_node) return 'array';
  if (node.workflow_node?.sub_workflow_ref) return 'subworkflow';
  if (node.workflow_node?.launchplan_ref) return 'launchplan';
  if (node.task_node) return state.dynamic.has(path) ? 'dynamic' : 'task';
  return 'node';
}

function detailOf(node: any, kind: Kind, path: string, state: GraphState, prefix: string): string | undefined {
  if (kind === 'task' || kind === 'dynamic') return node.task_node.reference_id?.name;
  if (kind === 'subworkflow') return node.workflow_node.sub_workflow_ref.name;
  if (kind === 'launchplan') return 'launch plan ' + node.workflow_node.launchplan_ref.name;
  if (kind === 'array') return node.array_node.node?.task_node?.reference_id?.name ?? 'array';
  if (kind === 'gate') {
    const g = node.gate_node;
    if (g.approve) return 'approve: ' + g.approve.signal_id;
    if (g.signal) return 'signal: ' + g.signal.signal_id;
    if (g.sleep) return 'sleep ' + g.sleep.duration;
  }
  if (kind === 'branch') {
    const taken = state.taken.get(path);
    if (taken) return 'took ' + taken.slice(prefix.length);
    const ie = node.branch_node.if_else;
    return `${1 + (ie.other?.length ?? 0)} case(s)${ie.else_node ? ' + else' : ''}`;
  }
  return undefined;
}

function build(template: any, connections: any, closure: any, prefix: string, state: GraphState, expanded: Set<string>): Built {
  const items = new Map<string, Item>();
  for (const node of template?.nodes ?? []) {
    const path = prefix + node.id;
    const kind = kindOf(node, path, state);
    const label = node.metadata?.name && kind !== 'start' && kind !== 'end' ? node.metadata.name : node.id;
    const detail = detailOf(node, kind, path, state, prefix);
    const item: Item = { path, id: node.id, label, kind, detail, expandable: false, w: 0, h: 0 };
    // A gate waits on the node itself, or on the case a branch took (shown
    // on the branch: a gate inside a branch is paused too).
    const taken = state.taken.get(path);
    const gateNode = kind === 'branch' && taken ? branchCases(node).find((c: any) => prefix + c.id === taken) : node;
    const gate = gateNode?.gate_node;
    if (gate?.approve || gate?.signal) {
      item.gate = { signal: (gate.approve ?? gate.signal).signal_id, approve: !!gate.approve, path: taken && kind === 'branch' ? taken : path };
    }
    let inner: { template: any; connections: any; closure: any } | undefined;
    if (kind === 'subworkflow') {
      const sub = (closure.sub_workflows ?? []).find((s: any) => sameId(s.template?.id, node.workflow_node.sub_workflow_ref));
      if (sub) inner = { template: sub.template, connections: sub.connections, closure };
    } else if (kind === 'dynamic') {
      const d = state.dynamic.get(path);
      inner = { template: d.primary?.template, connections: d.primary?.connections, closure: d };
    }
    item.expandable = !!inner;
    if (inner && expanded.has(path)) item.inner = build(inner.template, inner.connections, inner.closure, path + '/', state, expanded);
    const text = Math.max(label.length, (detail ?? '').length);
    item.w = Math.min(260, Math.max(item.gate ? 160 : 120, 16 + text * 7));
    item.h = kind === 'array' ? 66 : item.gate ? 66 : 44;
    if (item.inner) {
      item.w = Math.max(item.w, item.inner.layout.width + 32);
      item.h = item.inner.layout.height + 56;
    }
    items.set(node.id, item);
  }
  const edges: [string, string][] = [];
  for (const [to, from] of Object.entries<any>(connections?.upstream ?? {})) {
    for (const f of from.ids ?? []) if (items.has(f) && items.has(to)) edges.push([f, to]);
  }
  const boxes: Box[] = [...items.values()].map((i) => ({ id: i.id, w: i.w, h: i.h }));
  return { items, edges, layout: layout(boxes, edges) };
}

const PHASE_CLASS: Record<string, string> = {
  QUEUED: 'queued',
  RUNNING: 'running',
  DYNAMIC_RUNNING: 'running',
  FAILING: 'failing',
  SUCCEEDED: 'succeeded',
  RECOVERED: 'succeeded',
  FAILED: 'failed',
  TIMED_OUT: 'failed',
  ABORTED: 'aborted',
  SKIPPED: 'skipped',
};

export interface GraphProps {
  closure: any;
  state: GraphState;
  selected?: string;
  onSelect?: (path: string) => void;
  onGate?: (path: string, signal: string, approve: boolean | undefined) => void;
  // Nodes above this many start collapsed to the first screenful: the view
  // opens at the start node instead of fitting everything.
  bigGraph?: number;
}

interface View {
  x: number;
  y: number;
  k: number;
}

export function Graph(props: GraphProps) {
  const { closure, state } = props;
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const built = useMemo(
    () => build(closure?.primary?.template, closure?.primary?.connections, closure ?? {}, '', state, expanded),
    [closure, state, expanded],
  );
  const svg = useRef<SVGSVGElement>(null);
  const [size, setSize] = useState({ w: 800, h: 500 });
  const [view, setView] = useState<View | null>(null);
  const big = built.items.size > (props.bigGraph ?? 400);

  useEffect(() => {
    const el = svg.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setSize({ w: el.clientWidth, h: el.clientHeight }));
    observer.observe(el);
    setSize({ w: el.clientWidth, h: el.clientHeight });
    return () => observer.disconnect();
  }, []);

  const fit = () => {
    const { width, height } = built.layout;
    const k = Math.min(1.2, (size.w - 40) / Math.max(1, width), (size.h - 40) / Math.max(1, height));
    setView({ k, x: (size.w - width * k) / 2, y: (size.h - height * k) / 2 });
  };
  // The view fits everything (and keeps fitting as expansions change the
  // layout) until the user pans or zooms; a big graph opens at its start.
  const [autoFit, setAutoFit] = useState(true);
  useEffect(() => {
    if (!big && autoFit) return fit();
    if (view) return;
    const start = built.layout.pos.get('start-node') ?? { x: 0, y: 0 };
    setView({ k: 1, x: 20 - start.x, y: size.h / 2 - start.y });
  }, [built, size]);

  const drag = useRef<{ x: number; y: number; vx: number; vy: number } | null>(null);
  const v = view ?? { x: 0, y: 0, k: 1 };
  const onWheel = (e: WheelEvent) => {
    e.preventDefault();
    setAutoFit(false);
    const rect = svg.current!.getBoundingClientRect();
    const px = e.clientX - rect.left;
    const py = e.clientY - rect.top;
    const k = Math.min(3, Math.max(0.02, v.k * Math.exp(-e.deltaY * 0.0015)));
    setView({ k, x: px - ((px - v.x) * k) / v.k, y: py - ((py - v.y) * k) / v.k });
  };
  const onPointerDown = (e: PointerEvent) => {
    if ((e.target as Element).closest('.node')) return;
    drag.current = { x: e.clientX, y: e.clientY, vx: v.x, vy: v.y };
    setAutoFit(false);
    (e.currentTarget as Element).setPointerCapture(e.pointerId);
  };
  const onPointerMove = (e: PointerEvent) => {
    const d = drag.current;
    if (d) setView({ ...v, x: d.vx + e.clientX - d.x, y: d.vy + e.clientY - d.y });
  };
  const onPointerUp = () => (drag.current = null);

  // What is in view, in layout coordinates (with a margin).
  const margin = 200;
  const viewport = { x0: (-v.x - margin) / v.k, y0: (-v.y - margin) / v.k, x1: (size.w - v.x + margin) / v.k, y1: (size.h - v.y + margin) / v.k };
  const labels = v.k >= 0.45;
  const toggle = (path: string) =>
    setExpanded((s) => {
      const next = new Set(s);
      next.has(path) ? next.delete(path) : next.add(path);
      return next;
    });

  return (
    <div class="graph">
      <div class="graph-tools">
        <button type="button" onClick={fit}>Fit</button>
        <button type="button" onClick={() => (setAutoFit(false), setView({ ...v, k: Math.min(3, v.k * 1.25) }))}>+</button>
        <button type="button" onClick={() => (setAutoFit(false), setView({ ...v, k: Math.max(0.02, v.k / 1.25) }))}>−</button>
        <span class="muted">{built.items.size} nodes</span>
      </div>
      <svg ref={svg} class={labels ? 'graph-canvas' : 'graph-canvas tiny'} data-nodes={built.items.size} onWheel={onWheel} onPointerDown={onPointerDown} onPointerMove={onPointerMove} onPointerUp={onPointerUp}>
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto">
            <path d="M0,0 L10,5 L0,10 z" class="arrow" />
          </marker>
        </defs>
        {view && (
          <g transform={`translate(${v.x},${v.y}) scale(${v.k})`}>
            <Level built={built} state={state} props={props} viewport={viewport} labels={labels} toggle={toggle} expanded={expanded} />
          </g>
        )}
      </svg>
    </div>
  );
}

interface LevelProps {
  built: Built;
  state: GraphState;
  props: GraphProps;
  viewport?: { x0: number; y0: number; x1: number; y1: number };
  labels: boolean;
  toggle: (path: string) => void;
  expanded: Set<string>;
}

function Level({ built, state, props, viewport, labels, toggle, expanded }: LevelProps) {
  const { items, edges } = built;
  const pos = built.layout.pos;
  const visible = (x: number, y: number, w: number, h: number) =>
    !viewport || (x + w >= viewport.x0 && x <= viewport.x1 && y + h >= viewport.y0 && y <= viewport.y1);
  const out: JSX.Element[] = [];
  for (const [from, to] of edges) {
    const a = pos.get(from)!;
    const b = pos.get(to)!;
    const ia = items.get(from)!;
    const ib = items.get(to)!;
    const points = [{ x: a.x + ia.w, y: a.y + ia.h / 2 }, ...(built.layout.bends.get(from + '>' + to) ?? []), { x: b.x, y: b.y + ib.h / 2 }];
    const xs = points.map((p) => p.x);
    const ys = points.map((p) => p.y);
    const x0 = Math.min(...xs), y0 = Math.min(...ys);
    if (!visible(x0, y0, Math.max(...xs) - x0, Math.max(...ys) - y0)) continue;
    let d = `M${points[0].x},${points[0].y}`;
    for (let k = 1; k < points.length; k++) {
      const p = points[k - 1], q = points[k];
      const mx = (p.x + q.x) / 2;
      d += ` C${mx},${p.y} ${mx},${q.y} ${q.x},${q.y}`;
    }
    out.push(<path key={from + '>' + to} class="edge" d={d} marker-end="url(#arrow)" />);
  }
  for (const item of items.values()) {
    const p = pos.get(item.id)!;
    if (!visible(p.x, p.y, item.w, item.h)) continue;
    out.push(<NodeView key={item.path} item={item} x={p.x} y={p.y} state={state} props={props} labels={labels} toggle={toggle} expanded={expanded} />);
  }
  return <>{out}</>;
}

function NodeView({ item, x, y, state, props, labels, toggle, expanded }: { item: Item; x: number; y: number } & Omit<LevelProps, 'built' | 'viewport'>) {
  const phase = state.phases.get(item.path) ?? (item.kind === 'start' && state.phases.size ? 'SUCCEEDED' : '');
  const cls = `node kind-${item.kind} ${PHASE_CLASS[phase] ?? 'pending'}${props.selected === item.path ? ' selected' : ''}`;
  const progress = state.arrays.get(item.path);
  const waiting = item.gate && state.phases.get(item.gate.path) === 'RUNNING';
  const onClick = (e: MouseEvent) => {
    e.stopPropagation();
    props.onSelect?.(item.path);
  };
  return (
    <g class={cls} transform={`translate(${x},${y})`} data-node={item.path} data-phase={phase || 'PENDING'} onClick={onClick}>
      <rect class="box" width={item.w} height={item.h} rx={item.kind === 'start' || item.kind === 'end' ? 18 : 6} />
      {labels && (
        <>
          <text class="label" x={10} y={18}>{item.label.length > 34 ? item.label.slice(0, 33) + '…' : item.label}</text>
          {item.detail && <text class="detail" x={10} y={33}>{item.detail.length > 36 ? item.detail.slice(0, 35) + '…' : item.detail}</text>}
          {item.expandable && (
            <text class="expand" x={item.w - 18} y={18} onClick={(e) => (e.stopPropagation(), toggle(item.path))} data-expand={item.path}>
              {expanded.has(item.path) ? '−' : '+'}
            </text>
          )}
        </>
      )}
      {progress && <ArrayBar progress={progress} w={item.w - 20} />}
      {labels && waiting && (
        <g class="gate-actions">
          {item.gate!.approve ? (
            <>
              <GateButton x={10} label="Approve" onClick={() => props.onGate?.(item.gate!.path, item.gate!.signal, true)} />
              <GateButton x={80} label="Reject" onClick={() => props.onGate?.(item.gate!.path, item.gate!.signal, false)} />
            </>
          ) : (
            <GateButton x={10} label="Set value…" onClick={() => props.onGate?.(item.gate!.path, item.gate!.signal, undefined)} />
          )}
        </g>
      )}
      {item.inner && (
        <g transform="translate(16,44)">
          <Level built={item.inner} state={state} props={props} labels={labels} toggle={toggle} expanded={expanded} />
        </g>
      )}
    </g>
  );
}

function GateButton({ x, label, onClick }: { x: number; label: string; onClick: () => void }) {
  return (
    <g class="gate-button" transform={`translate(${x},42)`} data-gate-action={label} onClick={(e) => (e.stopPropagation(), onClick())}>
      <rect width={label.length * 7 + 12} height={18} rx={3} />
      <text x={6} y={13}>{label}</text>
    </g>
  );
}

function ArrayBar({ progress, w }: { progress: ArrayProgress; w: number }) {
  const { total, succeeded, failed, running } = progress;
  const part = (n: number) => (total ? (n / total) * w : 0);
  return (
    <g class="array-bar" transform="translate(10,52)" data-succeeded={succeeded} data-failed={failed} data-running={running} data-total={total}>
      <rect class="track" width={w} height={8} />
      <rect class="ok" width={part(succeeded)} height={8} />
      <rect class="bad" x={part(succeeded)} width={part(failed)} height={8} />
      <rect class="run" x={part(succeeded + failed)} width={part(running)} height={8} />
      <text x={0} y={-2} class="detail">
        {succeeded}/{total} ok{failed ? `, ${failed} failed` : ''}{running ? `, ${running} running` : ''}
      </text>
    </g>
  );
}
