// The server's HTTP API (flyteadmin's /api/v1 routes, proto3 JSON with proto
// field names), its task logs and its change feed. Everything the console
// shows comes through here.

export class ApiError extends Error {
  constructor(
    public status: number,
    message: string,
  ) {
    super(message);
  }
}

const TOKEN_KEY = 'flytecpp.token';
export const token = {
  get: () => localStorage.getItem(TOKEN_KEY) ?? '',
  set: (t: string) => (t ? localStorage.setItem(TOKEN_KEY, t) : localStorage.removeItem(TOKEN_KEY)),
};

function headers(json: boolean): Record<string, string> {
  const h: Record<string, string> = {};
  if (json) h['Content-Type'] = 'application/json';
  if (token.get()) h['Authorization'] = 'Bearer ' + token.get();
  return h;
}

// One path segment: node ids hold '/', which must not split the path.
export const seg = (s: string) => encodeURIComponent(s);

export type Query = Record<string, string | number | undefined>;

export async function call<T = any>(method: string, path: string, query?: Query, body?: unknown): Promise<T> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') q.set(k, String(v));
  const url = '/api/v1/' + path + (q.size ? '?' + q : '');
  let res: Response;
  try {
    res = await fetch(url, { method, headers: headers(body !== undefined), body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, `${method} ${url}: the server cannot be reached (${(e as Error).message})`);
  }
  const text = await res.text();
  let json: any = {};
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    throw new ApiError(res.status, `${method} ${url}: HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`);
  }
  if (!res.ok) throw new ApiError(res.status, json.message || `${method} ${url}: HTTP ${res.status}`);
  return json as T;
}

export const get = <T = any>(path: string, query?: Query) => call<T>('GET', path, query);
export const post = <T = any>(path: string, body: unknown) => call<T>('POST', path, undefined, body);

// ---- identifiers ----

export interface Ident {
  resource_type?: string;
  project: string;
  domain: string;
  name: string;
  version?: string;
}
export interface ExecId {
  project: string;
  domain: string;
  name: string;
}
export const execPath = (e: ExecId) => `${seg(e.project)}/${seg(e.domain)}/${seg(e.name)}`;
export const entityPath = (i: Ident) => `${seg(i.project)}/${seg(i.domain)}/${seg(i.name)}/${seg(i.version ?? '')}`;

// ---- streams: the change feed and followed logs ----

// Reads a streamed response chunk by chunk (fetch, so the bearer token goes
// in a header; EventSource cannot send one). Resolves when the stream ends.
async function stream(url: string, onText: (t: string) => void, signal: AbortSignal): Promise<void> {
  const res = await fetch(url, { headers: headers(false), signal });
  if (!res.ok || !res.body) {
    let message = `HTTP ${res.status}`;
    try {
      message = JSON.parse(await res.text()).message ?? message;
    } catch {}
    throw new ApiError(res.status, message);
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    onText(decoder.decode(value, { stream: true }));
  }
}

export interface Notice {
  execution?: string;
  kind?: 'workflow' | 'node' | 'task';
  node?: string;
  phase?: string;
  attempt?: number;
  resync?: boolean;
}
type Listener = (n: Notice) => void;
const listeners = new Set<Listener>();
let feedStarted = false;
export const feedState = { connected: false, onChange: () => {} };

// One connection to /events for the whole page, reopened if it drops (every
// listener then gets {resync: true}: it may have missed notices).
function startFeed() {
  if (feedStarted) return;
  feedStarted = true;
  let retry = 500;
  const open = async () => {
    let buffer = '';
    try {
      feedState.connected = true;
      feedState.onChange();
      listeners.forEach((l) => l({ resync: true }));
      await stream(
        '/events',
        (text) => {
          retry = 500;
          buffer += text;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const event = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            for (const line of event.split('\n')) {
              if (!line.startsWith('data: ')) continue;
              const notice = JSON.parse(line.slice(6)) as Notice;
              listeners.forEach((l) => l(notice));
            }
          }
        },
        new AbortController().signal,
      );
    } catch {}
    feedState.connected = false;
    feedState.onChange();
    setTimeout(open, retry);
    retry = Math.min(retry * 2, 10000);
  };
  open();
}

export function listen(l: Listener): () => void {
  startFeed();
  listeners.add(l);
  return () => listeners.delete(l);
}

// A file the server serves (a blob), with the bearer token.
export async function fetchBlob(path: string): Promise<Blob> {
  const res = await fetch(path, { headers: headers(false) });
  if (!res.ok) {
    let message = `HTTP ${res.status}`;
    try {
      message = JSON.parse(await res.text()).message ?? message;
    } catch {}
    throw new ApiError(res.status, message);
  }
  return res.blob();
}

// The schedules of active launch plans of a project and domain, with when
// each fires next (flytecpp's own route, beside flyteadmin's API).
export interface ScheduleInfo {
  launch_plan: Ident;
  schedule: string;
  kickoff_input: string;
  active_since: string;
  next: string;
  error: string;
}
export async function getSchedules(project: string, domain: string): Promise<ScheduleInfo[]> {
  const blob = await fetchBlob('/schedules?' + new URLSearchParams({ project, domain }));
  return JSON.parse(await blob.text());
}

// A task log, followed until its attempt ends (or `signal` aborts).
export function followLog(url: string, onText: (t: string) => void, signal: AbortSignal): Promise<void> {
  const u = new URL(url, location.href);
  // Logs are served by whoever serves the console: a link naming another
  // host (0.0.0.0, a hostname) is read from here.
  const path = u.pathname + '?follow=true';
  return stream(path, onText, signal);
}
