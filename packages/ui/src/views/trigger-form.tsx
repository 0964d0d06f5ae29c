/**
 * Start a run: pick a workflow, write its input as JSON (checked before anything is sent), and
 * submit. The start is optimistic: the pending row shows in the list at once.
 */
import { useMemo, useState } from 'react';
import type { WorkflowSummary } from '../api/types.ts';
import { DagGraph } from '../components/dag-graph.tsx';
import { useRouter } from '../router.tsx';
import { useOrchestrator, useStore } from '../store/react.tsx';
import { useDefinition } from './workflows-view.tsx';
import { errorMessage } from '../api/client.ts';

/** Parses the input box: an empty box means no input; otherwise it must be JSON. */
export function parseInput(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  if (text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    const msg = errorMessage(err);
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

/** A JSON input box that marks itself invalid and names the problem below it. */
export function JsonInputField(props: {
  label: string;
  value: string;
  parsed: ReturnType<typeof parseInput>;
  onChange: (text: string) => void;
  rows: number;
  name?: string;
  testId: string;
}) {
  const { label, value, parsed, onChange, rows, name, testId } = props;
  return (
    <>
      <label className="ol-field">
        <span>{label}</span>
        <textarea
          className={`ol-input ol-code${parsed.ok ? '' : ' ol-invalid'}`}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          rows={rows}
          spellCheck={false}
          name={name}
          data-testid={testId}
          aria-invalid={!parsed.ok}
        />
      </label>
      {!parsed.ok && (
        <div className="ol-error-text" data-testid={`${testId}-error`}>
          {parsed.error}
        </div>
      )}
    </>
  );
}

/** The new-run form's state: the chosen workflow, its input (typed, or a skeleton) and the submit. */
function useTriggerForm(initial: string | undefined) {
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

  const pick = (name: string) => {
    setWorkflow(name);
    setText(undefined);
  };

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

  return { workflows, chosen, definition, shown, parsed, open, serverError, pick, setText, setOpen, submit };
}

export function TriggerForm({ workflow: initial }: { workflow?: string }) {
  const { workflows, chosen, definition, shown, parsed, open, serverError, pick, setText, setOpen, submit } = useTriggerForm(initial);
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
        <WorkflowSelect workflows={workflows} value={chosen} onChange={pick} />
        <JsonInputField label="Input (JSON)" value={shown} parsed={parsed} onChange={setText} rows={10} name="input" testId="trigger-input" />
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

/** The workflow to start, by name and version. */
function WorkflowSelect({ workflows, value, onChange }: { workflows: readonly WorkflowSummary[]; value: string; onChange: (name: string) => void }) {
  return (
    <label className="ol-field">
      <span>Workflow</span>
      <select className="ol-input" value={value} onChange={(e) => onChange(e.target.value)} name="workflow" data-testid="trigger-workflow">
        {workflows.map((w) => (
          <option key={w.name} value={w.name}>
            {w.name} (v{w.version})
          </option>
        ))}
      </select>
    </label>
  );
}
