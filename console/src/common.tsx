// Pieces every page uses: phase badges, times, errors, tabs.
import { ComponentChildren } from 'preact';

// The phases that end a workflow execution, a node and a task attempt:
// include/flytecpp/idl/phases.h, mirrored once.
export const WORKFLOW_TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT']);
export const NODE_TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT', 'SKIPPED', 'RECOVERED']);
export const TASK_TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'ABORTED', 'RETRYABLE_FAILED']);

export function Phase({ phase }: { phase?: string }) {
  const p = phase || 'UNDEFINED';
  return <span class={'phase phase-' + p.toLowerCase()} data-phase={p}>{p.toLowerCase().replace(/_/g, ' ')}</span>;
}

export function time(ts?: string): string {
  if (!ts || ts.startsWith('1970-')) return '—';
  return new Date(ts).toLocaleString();
}

export function ms(ts?: string): number {
  return ts && !ts.startsWith('1970-') ? Date.parse(ts) : NaN;
}

// A protobuf Duration in JSON ("12.5s") as "12.5 s" / "3 min 4 s".
export function duration(d?: string | number): string {
  if (d === undefined || d === '') return '—';
  const s = typeof d === 'number' ? d : parseFloat(d);
  if (!Number.isFinite(s)) return '—';
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

export function ErrorBox({ error, title }: { error?: any; title?: string }) {
  if (!error) return null;
  const message = typeof error === 'string' ? error : error.message;
  return (
    <div class="error-box" role="alert">
      {title && <strong>{title}: </strong>}
      {error.code && <code>{error.code}</code>} {error.kind && <span class="muted">({error.kind.toLowerCase()})</span>}
      <pre>{message}</pre>
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return <p class="muted loading">Loading {what}…</p>;
}

export function Tabs<T extends string>({ tabs, value, onChange }: { tabs: [T, string][]; value: T; onChange: (t: T) => void }) {
  return (
    <div class="tabs" role="tablist">
      {tabs.map(([key, label]) => (
        <button type="button" role="tab" aria-selected={key === value} class={key === value ? 'active' : ''} onClick={() => onChange(key)}>
          {label}
        </button>
      ))}
    </div>
  );
}

export function Section({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section class="section">
      <h3>{title}</h3>
      {children}
    </section>
  );
}
