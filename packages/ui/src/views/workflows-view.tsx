/** The registered workflows, each with its graph, and a shortcut to start a run of it. */
import { useEffect, useState } from 'react';
import type { WorkflowDefinition, WorkflowSummary } from '../api/types.ts';
import { DagGraph } from '../components/dag-graph.tsx';
import { JsonView } from '../components/json-view.tsx';
import { Link, useRouter } from '../router.tsx';
import { useOrchestrator, useStore } from '../store/react.tsx';
import { errorMessage } from '../api/client.ts';

/** GET /workflows/{name} may answer with a registered workflow or with the definition itself. */
export function definitionOf(value: unknown): WorkflowDefinition | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as { steps?: unknown; definition?: unknown };
  if (Array.isArray(v.steps)) return value as WorkflowDefinition;
  if (typeof v.definition === 'object' && v.definition !== null) return definitionOf(v.definition);
  return undefined;
}

export function useDefinition(summary: WorkflowSummary | undefined): { definition?: WorkflowDefinition; error?: string } {
  const store = useOrchestrator();
  const [state, setState] = useState<{ name?: string; definition?: WorkflowDefinition; error?: string }>({});
  const inline = definitionOf(summary);
  useEffect(() => {
    if (summary === undefined || inline !== undefined) return;
    let alive = true;
    store.api.getWorkflow(summary.name).then(
      (res) => alive && setState({ name: summary.name, definition: definitionOf(res) }),
      (err: unknown) => alive && setState({ name: summary.name, error: errorMessage(err) }),
    );
    return () => {
      alive = false;
    };
  }, [store, summary, inline]);
  if (inline !== undefined) return { definition: inline };
  return state.name === summary?.name ? state : {};
}

export function WorkflowsView({ workflow }: { workflow?: string }) {
  const workflows = useStore((s) => s.workflows);
  const loaded = useStore((s) => s.workflowsLoaded);
  const { navigate } = useRouter();
  const current = workflows.find((w) => w.name === workflow) ?? workflows[0];
  const { definition, error } = useDefinition(current);
  if (!loaded) return <div className="ol-page ol-empty">Loading workflows…</div>;
  if (workflows.length === 0) return <div className="ol-page ol-empty">No workflow is registered yet (PUT /api/v1/workflows/&#123;name&#125;).</div>;
  return (
    <div className="ol-page ol-workflows">
      <div className="ol-card ol-wf-list">
        {workflows.map((w) => (
          <button
            key={w.name}
            type="button"
            className={`ol-wf-item${w.name === current?.name ? ' ol-wf-on' : ''}`}
            onClick={() => navigate({ name: 'workflows', workflow: w.name })}
            data-testid={`workflow-${w.name}`}
          >
            <strong>{w.name}</strong>
            <span className="ol-muted">v{w.version}</span>
            {(w.description ?? definitionOf(w)?.description) !== undefined && <span className="ol-small ol-muted">{w.description ?? definitionOf(w)?.description}</span>}
          </button>
        ))}
      </div>
      {current !== undefined && (
        <div className="ol-card ol-wf-detail">
          <div className="ol-run-head">
            <div>
              <h1 className="ol-h1">{current.name}</h1>
              <div className="ol-sub">
                version {current.version}
                {definition !== undefined ? ` · ${definition.steps.length} steps` : ''}
                {definition?.description !== undefined ? ` · ${definition.description}` : ''}
              </div>
            </div>
            <Link to={{ name: 'trigger', workflow: current.name }} className="ol-btn ol-btn-primary">
              ▶ Run {current.name}
            </Link>
          </div>
          {error !== undefined && <div className="ol-error-box">{error}</div>}
          {definition !== undefined && (
            <>
              <DagGraph definition={definition} height={360} />
              <details className="ol-details">
                <summary>Definition</summary>
                <JsonView value={definition} label="definition" />
              </details>
            </>
          )}
        </div>
      )}
    </div>
  );
}
