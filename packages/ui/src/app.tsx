/**
 * The whole UI as one component. `gateway` is the API's base URL ('' = same origin). Each App
 * owns a store whose state is projected from the gateway's event stream.
 */
import { useEffect, useMemo, useState } from 'react';
import { ConnectionIndicator } from './components/connection-indicator.tsx';
import { storedToken, TokenPrompt } from './components/token-prompt.tsx';
import { Link, RouterProvider, useRouter } from './router.tsx';
import type { Route, RoutingMode } from './router.tsx';
import type { ReactNode } from 'react';
import { setGatewayToken } from './api/client.ts';
import { OrchestratorStore } from './store/store.ts';
import { StoreProvider, useOrchestrator, useStore } from './store/react.tsx';
import { CompareView } from './views/compare-view.tsx';
import { DlqView } from './views/dlq-view.tsx';
import { RunDetail } from './views/run-detail.tsx';
import { RunsList } from './views/runs-list.tsx';
import { SchedulesView } from './views/schedules-view.tsx';
import { TriggerForm } from './views/trigger-form.tsx';
import { WorkflowsView } from './views/workflows-view.tsx';

export interface AppProps {
  /** Base URL of the gateway, e.g. `http://127.0.0.1:8080`. @default '' (same origin) */
  gateway?: string;
  /** 'hash' keeps the route in the URL (standalone); 'memory' leaves the host's URL alone. @default 'memory' */
  routing?: RoutingMode;
  /** The first route in memory mode. @default {name: 'runs'} */
  initialRoute?: Route;
  /** Bearer token for a gateway that requires one. @default none */
  token?: string;
}

export function useOwnStore(gateway: string, token?: string): OrchestratorStore {
  const store = useMemo(() => {
    setGatewayToken(gateway, token);
    return new OrchestratorStore(gateway);
  }, [gateway, token]);
  useEffect(() => {
    store.start();
    return () => store.stop();
  }, [store]);
  return store;
}

export function App({ gateway = '', routing = 'memory', initialRoute, token }: AppProps) {
  // A token given by the host wins; else one entered in this tab after a 401.
  const [entered, setEntered] = useState(() => (token === undefined ? storedToken(gateway) : undefined));
  const current = entered ?? token;
  const store = useOwnStore(gateway, current);
  return (
    <StoreProvider store={store}>
      <RouterProvider mode={routing} initial={initialRoute}>
        <div className="ol-root" data-testid="ol-app">
          <TopBar />
          <AuthGate gateway={gateway} hadToken={current !== undefined} onToken={setEntered}>
            <Page />
          </AuthGate>
          <Notices />
        </div>
      </RouterProvider>
    </StoreProvider>
  );
}

function TopBar() {
  const { route } = useRouter();
  const connection = useStore((s) => s.connection);
  const tab = route.name === 'run' || route.name === 'compare' ? 'runs' : route.name;
  return (
    <header className="ol-top">
      <div className="ol-brand">
        <span className="ol-logo" aria-hidden>
          ◆
        </span>
        Orchestrator<span>-lite</span>
      </div>
      <nav className="ol-nav">
        <Link to={{ name: 'runs' }} className={tab === 'runs' ? 'ol-nav-on' : undefined}>
          Runs
        </Link>
        <Link to={{ name: 'workflows' }} className={tab === 'workflows' ? 'ol-nav-on' : undefined}>
          Workflows
        </Link>
        <Link to={{ name: 'schedules' }} className={tab === 'schedules' ? 'ol-nav-on' : undefined} testId="nav-schedules">
          Schedules
        </Link>
        <Link to={{ name: 'dlq' }} className={tab === 'dlq' ? 'ol-nav-on' : undefined} testId="nav-dlq">
          Dead letters
        </Link>
      </nav>
      <div className="ol-top-right">
        <ConnectionIndicator state={connection} />
        <Link to={{ name: 'trigger' }} className="ol-btn ol-btn-primary" title="start a run">
          + New run
        </Link>
      </div>
    </header>
  );
}

/** The page, or the token prompt once the gateway has answered 401. */
function AuthGate({ gateway, hadToken, onToken, children }: { gateway: string; hadToken: boolean; onToken: (token: string) => void; children: ReactNode }) {
  const authRequired = useStore((s) => s.authRequired);
  return authRequired ? <TokenPrompt gateway={gateway} hadToken={hadToken} onToken={onToken} /> : <>{children}</>;
}

function Page() {
  const { route } = useRouter();
  switch (route.name) {
    case 'runs':
      return <RunsList />;
    case 'run':
      return <RunDetail key={route.runId} runId={route.runId} />;
    case 'workflows':
      return <WorkflowsView workflow={route.workflow} />;
    case 'trigger':
      return <TriggerForm key={route.workflow ?? ''} workflow={route.workflow} />;
    case 'schedules':
      return <SchedulesView />;
    case 'dlq':
      return <DlqView />;
    case 'compare':
      return <CompareView key={`${route.baseRunId}/${route.runId}`} baseRunId={route.baseRunId} runId={route.runId} />;
  }
}

function Notices() {
  const notices = useStore((s) => s.notices);
  const store = useOrchestrator();
  return (
    <div className="ol-notices" aria-live="polite">
      {notices.map((n) => (
        <div key={n.id} className={`ol-notice ol-notice-${n.kind}`} data-testid={`notice-${n.kind}`} onClick={() => store.dismiss(n.id)}>
          {n.message}
        </div>
      ))}
    </div>
  );
}

export interface RunViewProps {
  gateway?: string;
  runId: string;
  /** Bearer token for a gateway that requires one. @default none */
  token?: string;
}

/** A single run's live view, for hosts that show one run inside their own page. */
export function RunViewApp({ gateway = '', runId, token }: RunViewProps) {
  const [entered, setEntered] = useState(() => (token === undefined ? storedToken(gateway) : undefined));
  const current = entered ?? token;
  const store = useMemo(() => {
    setGatewayToken(gateway, current);
    return new OrchestratorStore(gateway);
  }, [gateway, current]);
  useEffect(() => () => store.stop(), [store]);
  return (
    <StoreProvider store={store}>
      <RouterProvider mode="memory" initial={{ name: 'run', runId }}>
        <div className="ol-root ol-root-embedded" data-testid="ol-run-view">
          <AuthGate gateway={gateway} hadToken={current !== undefined} onToken={setEntered}>
            <RunDetail runId={runId} showBack={false} />
          </AuthGate>
        </div>
      </RouterProvider>
    </StoreProvider>
  );
}
