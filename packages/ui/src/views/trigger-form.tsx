/**
 * Start a run: pick a workflow, write its input as JSON (checked before anything is sent), and
 * submit. The start is optimistic: the pending row shows in the list at once.
 */
import { useMemo, useState } from 'react';
import { DagGraph } from '../components/dag-graph.tsx';
import { useRouter } from '../router.tsx';
import { useOrchestrator, useStore } from '../store/react.tsx';
import { useDefinition } from './workflows-view.tsx';

/** Parses the input box: an empty box means no input; otherwise it must be JSON. */
export function parseInput(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const pos = /position (\d+)/.exec(msg);
    if (pos?.[1] !== undefined && !/line \d+/.test(msg)) {
      const before = text.slice(0, Number(pos[1]));
      const line = before.split('\n').length;
      const col = before.length - before.lastIndexOf('\n');
      return { ok: false, error: `input is not valid JSON (line ${line}, column ${col}): ${msg}` };
    }
    return { ok: false, error: `input is not valid JSON: ${msg}` };
  }
}

/** A starting input: every `${input.x}` the definition refers to, as an empty field. */
export function inputSkeleton(definition: unknown): string {
  const names = new Set<string>();
  for (const m of JSON.stringify(definition ?? null).matchAll(/\$\{input\.([A-Za-z0-9_-]+)/g)) if (m[1] !== undefined) names.add(m[1]);
  if (names.size === 0) return '{}';
  return `{\n${[...names].map((n) => `  ${JSON.stringify(n)}: ""`).join(',\n')}\n}`;
}

export function TriggerForm({ workflow: initial }: { workflow?: string }) {
  const store = useOrchestrator();
  const workflows = useStore((s) => s.workflows);
  const { navigate } = useRouter();
  const [workflow, setWorkflow] = useState(initial ?? '');
  const [text, setText] = useState<string | undefined>(undefined);
  const [open, setOpen] = useState(true);
  const [serverError, setServerError] = useState<string | undefined>(undefined);
  const chosen = workflow !== '' ? workflow : (workflows[0]?.name ?? '');
  const summary = workflows.find((w) => w.name === chosen);
  const { definition } = useDefinition(summary);
  // Until the user types, the box shows a skeleton of the chosen workflow's input.
  const shown = text ?? (definition !== undefined ? inputSkeleton(definition) : '{}');
  const parsed = useMemo(() => parseInput(shown), [shown]);

  const submit = () => {
    if (!parsed.ok || chosen === '') return;
    setServerError(undefined);
    const pending = store.trigger(chosen, parsed.value);
    navigate({ name: 'runs' });
    void pending.then((res) => {
      if (res.ok && open) navigate({ name: 'run', runId: res.runId });
      if (!res.ok) setServerError(res.error);
    });
  };

  return (
    <div className="ol-page ol-trigger">
      <form
        className="ol-card ol-form"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
        data-testid="trigger-form"
      >
        <h1 className="ol-h1">New run</h1>
        <label className="ol-field">
          <span>Workflow</span>
          <select className="ol-input" value={chosen} onChange={(e) => {
              setWorkflow(e.target.value);
              setText(undefined);
            }} name="workflow" data-testid="trigger-workflow">
            {workflows.map((w) => (
              <option key={w.name} value={w.name}>
                {w.name} (v{w.version})
              </option>
            ))}
          </select>
        </label>
        <label className="ol-field">
          <span>Input (JSON)</span>
          <textarea
            className={`ol-input ol-code${parsed.ok ? '' : ' ol-invalid'}`}
            value={shown}
            onChange={(e) => setText(e.target.value)}
            rows={10}
            spellCheck={false}
            name="input"
            data-testid="trigger-input"
            aria-invalid={!parsed.ok}
          />
        </label>
        {!parsed.ok && (
          <div className="ol-error-text" data-testid="trigger-input-error">
            {parsed.error}
          </div>
        )}
        {serverError !== undefined && <div className="ol-error-box">{serverError}</div>}
        <label className="ol-check">
          <input type="checkbox" checked={open} onChange={(e) => setOpen(e.target.checked)} /> Open the run when it starts
        </label>
        <div className="ol-form-actions">
          <button type="submit" className="ol-btn ol-btn-primary" disabled={!parsed.ok || chosen === ''} data-testid="trigger-submit">
            ▶ Start run
          </button>
        </div>
      </form>
      {definition !== undefined && (
        <div className="ol-card ol-trigger-preview">
          <div className="ol-card-title">{definition.name}</div>
          <DagGraph definition={definition} height={320} />
        </div>
      )}
    </div>
  );
}
