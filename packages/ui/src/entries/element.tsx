/**
 * `<orchestrator-lite-app gateway="http://host:port">`: the UI as a custom element with its own
 * React root, its CSS inside its shadow root (so the page's styles and its own never mix).
 * Attributes: `gateway` (API base URL, default same origin), `run-id` (show one run only),
 * `token` (bearer token, for a gateway that requires one).
 */
import { createRoot } from 'react-dom/client';
import type { Root } from 'react-dom/client';
import xyflowCss from '@xyflow/react/dist/style.css?inline';
import appCss from '../styles.css?inline';
import { App, RunViewApp } from '../app.tsx';

export class OrchestratorLiteElement extends HTMLElement {
  static observedAttributes = ['gateway', 'run-id', 'token'];
  private root: Root | undefined;
  private mount: HTMLDivElement | undefined;

  connectedCallback(): void {
    if (this.root === undefined) {
      const shadow = this.shadowRoot ?? this.attachShadow({ mode: 'open' });
      const style = document.createElement('style');
      style.textContent = `${xyflowCss}\n${appCss}\n:host{display:block;}`;
      this.mount = document.createElement('div');
      this.mount.className = 'ol-host';
      shadow.append(style, this.mount);
      this.root = createRoot(this.mount);
    }
    this.render();
  }

  attributeChangedCallback(): void {
    if (this.root !== undefined) this.render();
  }

  disconnectedCallback(): void {
    // Unmount after the current task: a node moved in the DOM is disconnected and reconnected.
    queueMicrotask(() => {
      if (!this.isConnected && this.root !== undefined) {
        this.root.unmount();
        this.root = undefined;
        this.shadowRoot?.replaceChildren();
      }
    });
  }

  private render(): void {
    const gateway = this.getAttribute('gateway') ?? '';
    const runId = this.getAttribute('run-id');
    const token = this.getAttribute('token') ?? undefined;
    this.root?.render(
      runId !== null && runId !== '' ? (
        <RunViewApp key={`${gateway}|${runId}`} gateway={gateway} runId={runId} token={token} />
      ) : (
        <App key={gateway} gateway={gateway} routing="memory" token={token} />
      ),
    );
  }
}

if (customElements.get('orchestrator-lite-app') === undefined) {
  customElements.define('orchestrator-lite-app', OrchestratorLiteElement);
}
