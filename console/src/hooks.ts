// Small hooks the pages share: loading through the API, live refresh from
// the change feed, and the hash router.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { listen, Notice } from './api';

export interface Loaded<T> {
  data?: T;
  error?: string;
  loading: boolean;
  reload: () => void;
}

// Runs `load` when `deps` change and on reload(); keeps the last data while
// reloading, so live refreshes do not flash.
export function useApi<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const generation = useRef(0);
  useEffect(() => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => mine === generation.current && setState({ data, loading: false }),
      (e: Error) => mine === generation.current && setState((s) => ({ data: s.data, error: e.message, loading: false })),
    );
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

// Calls `refresh` (at most every 250 ms) when a notice `matches`; notices
// arrive pushed by the server, nothing is polled.
export function useLive(matches: (n: Notice) => boolean, refresh: () => void, deps: unknown[]) {
  useEffect(() => {
    let timer: number | undefined;
    const unlisten = listen((n) => {
      if (!n.resync && !matches(n)) return;
      if (timer === undefined) {
        timer = window.setTimeout(() => {
          timer = undefined;
          refresh();
        }, 250);
      }
    });
    return () => {
      unlisten();
      clearTimeout(timer);
    };
  }, deps);
}

export interface Route {
  path: string[];
  query: URLSearchParams;
}

function parseHash(): Route {
  const hash = location.hash.replace(/^#\/?/, '');
  const [p, q] = hash.split('?');
  return { path: p ? p.split('/').map(decodeURIComponent) : [], query: new URLSearchParams(q ?? '') };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(parseHash);
  useEffect(() => {
    const on = () => setRoute(parseHash());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function href(path: (string | undefined)[], query?: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v) q.set(k, v);
  return '#/' + path.map((p) => encodeURIComponent(p ?? '')).join('/') + (q.size ? '?' + q : '');
}

export const navigate = (to: string) => (location.hash = to.replace(/^#/, ''));
