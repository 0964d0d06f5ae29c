/**
 * A host portal with its own header and sidebar that mounts the federated Orchestrator-lite
 * remote: `registerRemotes` with the remote's URL, then `loadRemote('orchestrator_lite/App')`.
 */
import { StrictMode, Suspense, lazy } from 'react';
import type { ComponentType } from 'react';
import { createRoot } from 'react-dom/client';
import { loadRemote, registerRemotes } from '@module-federation/runtime';

const params = new URLSearchParams(window.location.search);
const remoteUrl = params.get('remote') ?? new URL('../../remoteEntry.js', window.location.href).toString();
const gateway = params.get('gateway') ?? new URL(remoteUrl).origin;

registerRemotes([{ name: 'orchestrator_lite', entry: remoteUrl, type: 'module' }]);

const RemoteApp = lazy(async () => {
  const mod = await loadRemote<{ default: ComponentType<{ gateway?: string; routing?: 'hash' | 'memory' }> }>('orchestrator_lite/App');
  if (mod === null || mod === undefined) throw new Error(`the remote at ${remoteUrl} did not expose ./App`);
  return { default: mod.default };
});

function Host() {
  return (
    <div style={{ fontFamily: 'system-ui, sans-serif', display: 'grid', gridTemplateColumns: '200px 1fr', minHeight: '100vh', background: '#f4f5f8' }}>
      <aside style={{ background: '#1d2433', color: '#e8ebf2', padding: 20 }}>
        <h2 style={{ margin: '0 0 16px', fontSize: 18 }} data-testid="host-title">
          Acme portal
        </h2>
        <div style={{ opacity: 0.7, fontSize: 14, lineHeight: 2 }}>
          Dashboards
          <br />
          Billing
          <br />
          <strong style={{ opacity: 1 }}>Workflows</strong>
        </div>
      </aside>
      <main data-testid="host-slot">
        <Suspense fallback={<p style={{ padding: 20 }}>Loading the workflow UI…</p>}>
          <RemoteApp gateway={gateway} routing="memory" />
        </Suspense>
      </main>
    </div>
  );
}

const el = document.getElementById('host-root');
if (el === null) throw new Error('no #host-root');
createRoot(el).render(
  <StrictMode>
    <Host />
  </StrictMode>,
);
