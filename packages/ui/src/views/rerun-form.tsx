/**
 * "Rerun from here": a new run of the same workflow version in which this step and every step
 * after it run again, and the others keep their outputs. The run input can be edited as JSON;
 * it is checked before anything is sent, and a bad JSON names the problem.
 */
import { useMemo, useState } from 'react';
import type { RunView } from '../api/types.ts';
import { useRouter } from '../router.tsx';
import { useOrchestrator } from '../store/react.tsx';
import { rerunPlan, sameJson } from '../store/run-diff.ts';
import { JsonInputField, parseInput } from './trigger-form.tsx';
import { errorMessage } from '../api/client.ts';

/** The rerun's input as typed, and its submit: a new run from the step, then a jump to it. */
function useRerun(view: RunView, stepId: string) {
  const store = useOrchestrator();
  const { navigate } = useRouter();
  const original = useMemo(() => (view.input === undefined ? '' : JSON.stringify(view.input, null, 2)), [view.input]);
  const [text, setText] = useState(original);
  const [busy, setBusy] = useState(false);
  const [serverError, setServerError] = useState<string | undefined>(undefined);
  const parsed = useMemo(() => parseInput(text), [text]);

  const submit = async (): Promise<void> => {
    if (!parsed.ok) return;
    setBusy(true);
    setServerError(undefined);
    try {
      // An unchanged (or emptied) box sends no input: the gateway then reuses the run's own.
      const input = parsed.value === undefined || sameJson(parsed.value, view.input) ? {} : { input: parsed.value };
      const { runId } = await store.api.rerun(view.runId, { fromStep: stepId, ...input });
      store.notify('info', `Rerun of ${view.runId} from ${stepId} started: ${runId}`);
      navigate({ name: 'run', runId });
    } catch (err) {
      setServerError(errorMessage(err));
      setBusy(false);
    }
  };

  return { text, setText, parsed, busy, serverError, submit };
}

export function RerunForm({ view, stepId, onClose }: { view: RunView; stepId: string; onClose: () => void }) {
  const { text, setText, parsed, busy, serverError, submit } = useRerun(view, stepId);
  const plan = useMemo(() => rerunPlan(view.definition, stepId), [view.definition, stepId]);
  return (
    <form
      className="ol-rerun-form"
      data-testid="rerun-form"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <div className="ol-card-title">Rerun from {stepId}</div>
      <RerunPlan plan={plan} />
      <JsonInputField label="Run input (JSON)" value={text} parsed={parsed} onChange={setText} rows={8} testId="rerun-input" />
      {serverError !== undefined && <div className="ol-error-box">{serverError}</div>}
      <div className="ol-form-actions">
        <button type="button" className="ol-btn ol-btn-small" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" className="ol-btn ol-btn-primary ol-btn-small" disabled={!parsed.ok || busy} data-testid="rerun-submit">
          ↻ Rerun from {stepId}
        </button>
      </div>
    </form>
  );
}

/** Which steps run again and whose outputs are reused. */
function RerunPlan({ plan }: { plan: ReturnType<typeof rerunPlan> }) {
  return (
    <div className="ol-small ol-muted" data-testid="rerun-plan">
      runs again: <b>{plan.rerun.join(', ')}</b>
      {plan.reuse.length > 0 && (
        <>
          {' '}
          · reuses the outputs of: {plan.reuse.join(', ')}
        </>
      )}
    </div>
  );
}
