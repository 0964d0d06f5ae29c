/**
 * A tiny router: the standalone shell keeps the route in the URL hash (so links and reloads work
 * behind any static server); embedded copies keep it in memory and leave the host's URL alone.
 */
import { createContext, useCallback, useContext, useEffect, useState } from 'react';
import type { ReactNode } from 'react';

export type Route =
  | { name: 'runs' }
  | { name: 'run'; runId: string }
  | { name: 'workflows'; workflow?: string }
  | { name: 'trigger'; workflow?: string }
  | { name: 'schedules' }
  | { name: 'dlq' }
  /** Two runs side by side: a run and its rerun. */
  | { name: 'compare'; baseRunId: string; runId: string };

export type RoutingMode = 'hash' | 'memory';

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  const parts = path.split('/');
  const [head, rest] = [parts[0] ?? '', parts.slice(1).join('/')];
  const arg = rest !== '' ? decodeURIComponent(rest) : undefined;
  switch (head) {
    case 'schedules':
      return { name: 'schedules' };
    case 'dlq':
      return { name: 'dlq' };
    case 'compare': {
      const [base, run] = [parts[1], parts[2]];
      return base && run ? { name: 'compare', baseRunId: decodeURIComponent(base), runId: decodeURIComponent(run) } : { name: 'runs' };
    }
    case 'runs':
      return arg !== undefined ? { name: 'run', runId: arg } : { name: 'runs' };
    case 'workflows':
      return { name: 'workflows', workflow: arg };
    case 'new':
      return { name: 'trigger', workflow: arg };
    default:
      return { name: 'runs' };
  }
}

export function routeHref(route: Route): string {
  switch (route.name) {
    case 'runs':
      return '#/runs';
    case 'run':
      return `#/runs/${encodeURIComponent(route.runId)}`;
    case 'workflows':
      return route.workflow !== undefined ? `#/workflows/${encodeURIComponent(route.workflow)}` : '#/workflows';
    case 'trigger':
      return route.workflow !== undefined ? `#/new/${encodeURIComponent(route.workflow)}` : '#/new';
    case 'schedules':
      return '#/schedules';
    case 'dlq':
      return '#/dlq';
    case 'compare':
      return `#/compare/${encodeURIComponent(route.baseRunId)}/${encodeURIComponent(route.runId)}`;
  }
}

interface RouterValue {
  route: Route;
  navigate: (route: Route) => void;
  mode: RoutingMode;
}

const RouterContext = createContext<RouterValue>({ route: { name: 'runs' }, navigate: () => {}, mode: 'memory' });

export function RouterProvider({ mode, initial, children }: { mode: RoutingMode; initial?: Route; children: ReactNode }) {
  const [route, setRoute] = useState<Route>(() => (mode === 'hash' ? parseRoute(window.location.hash) : (initial ?? { name: 'runs' })));
  useEffect(() => {
    if (mode !== 'hash') return;
    const onHash = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, [mode]);
  const navigate = useCallback(
    (next: Route) => {
      if (mode === 'hash') window.location.hash = routeHref(next).slice(1);
      else setRoute(next);
    },
    [mode],
  );
  return <RouterContext.Provider value={{ route, navigate, mode }}>{children}</RouterContext.Provider>;
}

export function useRouter(): RouterValue {
  return useContext(RouterContext);
}

/** An anchor that navigates within the UI (a real href in hash mode, so middle-click works). */
export function Link({ to, className, children, title, testId }: { to: Route; className?: string; children: ReactNode; title?: string; testId?: string }) {
  const { navigate, mode } = useRouter();
  return (
    <a
      className={className}
      title={title}
      data-testid={testId}
      href={mode === 'hash' ? routeHref(to) : '#'}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}
