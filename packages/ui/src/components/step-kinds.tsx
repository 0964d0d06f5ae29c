/**
 * What the workflow language adds to a step on screen: the reason of a skip, the item counts of
 * a forEach, a sleep's countdown, a wait's signal (and the form that sends it), and the link to a
 * child run. Used by the graph's nodes (compact) and by the step panel (in full).
 */
import { useState } from 'react';
import type { StepStatus, StepView } from '../api/types.ts';
import { Link } from '../router.tsx';
import { useNow, useOrchestrator } from '../store/react.tsx';
import { STATUS_COLOR, STATUS_LABEL, StatusBadge } from './status.tsx';
import { errorMessage } from '../api/client.ts';

/** Items per status, in a fixed order. */
export function itemCounts(step: StepView): { status: StepStatus; count: number }[] {
  const counts = new Map<StepStatus, number>();
  for (const item of step.items ?? []) counts.set(item.status, (counts.get(item.status) ?? 0) + 1);
  const order: StepStatus[] = ['SUCCEEDED', 'RUNNING', 'SCHEDULED', 'RETRY_WAIT', 'PENDING', 'FAILED', 'CANCELLED'];
  return order.filter((s) => counts.has(s)).map((status) => ({ status, count: counts.get(status) ?? 0 }));
}

export function ItemCounts({ step }: { step: StepView }) {
  const items = step.items ?? [];
  const done = items.filter((i) => i.status === 'SUCCEEDED').length;
  return (
    <div className="ol-node-items" data-testid="item-counts" title={itemCounts(step).map((c) => `${c.count} ${STATUS_LABEL[c.status].toLowerCase()}`).join(', ')}>
      <span>
        {done}/{items.length} items
      </span>
      <span className="ol-item-dots">
        {itemCounts(step).map((c) => (
          <i key={c.status} style={{ background: STATUS_COLOR[c.status], flexGrow: c.count }} />
        ))}
      </span>
    </div>
  );
}

/** Counts down to the end of a sleep; the bar fills from the start of the sleep. */
export function SleepCountdown({ step }: { step: StepView }) {
  const now = useNow(200, step.wakeAt !== undefined);
  if (step.wakeAt === undefined) return null;
  const began = step.attempts[step.attempts.length - 1]?.startedAt ?? now;
  const left = Math.max(0, step.wakeAt - now);
  const total = Math.max(1, step.wakeAt - began);
  return (
    <div className="ol-node-retry" data-testid="sleep-countdown">
      <div className="ol-bar ol-node-bar">
        <div style={{ width: `${(Math.min(1, 1 - left / total) * 100).toFixed(1)}%` }} />
      </div>
      <span>
        ☾ wakes in <strong>{left > 0 ? formatLeft(left) : 'now'}</strong>
      </span>
    </div>
  );
}

function formatLeft(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.floor((ms % 60_000) / 1000)} s`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** A JSON payload and a button that sends the signal a wait step waits for. */
export function SignalForm({ runId, stepId, signal }: { runId: string; stepId: string; signal: string }) {
  const store = useOrchestrator();
  const [text, setText] = useState('{\n  "approved": true\n}');
  const [busy, setBusy] = useState(false);
  let payload: unknown;
  let error: string | undefined;
  try {
    payload = text.trim() === '' ? undefined : (JSON.parse(text) as unknown);
  } catch (e) {
    error = errorMessage(e);
  }
  return (
    <div className="ol-signal" data-testid={`signal-form-${stepId}`}>
      <div className="ol-small ol-muted">
        Waiting for the signal <span className="ol-mono">{signal}</span>. Its payload becomes the step&apos;s output.
      </div>
      <textarea className="ol-input ol-mono" rows={3} value={text} onChange={(e) => setText(e.target.value)} aria-label="signal payload (JSON)" data-testid="signal-payload" />
      {error !== undefined && <div className="ol-error-text">{error}</div>}
      <button
        type="button"
        className="ol-btn ol-btn-primary"
        disabled={busy || error !== undefined}
        data-testid="signal-send"
        onClick={() => {
          setBusy(true);
          void store.signal(runId, signal, payload).finally(() => setBusy(false));
        }}
      >
        Approve · send “{signal}”
      </button>
    </div>
  );
}

/** The items of a forEach step, each with its status, attempts and output. */
export function ItemList({ step, stepId }: { step: StepView; stepId: string }) {
  const [open, setOpen] = useState<number | undefined>(undefined);
  return (
    <div className="ol-items" data-testid={`items-${stepId}`}>
      {(step.items ?? []).map((item, i) => (
        <div key={i} className="ol-item">
          <button type="button" className="ol-step-mini" onClick={() => setOpen(open === i ? undefined : i)} data-testid={`item-${stepId}-${i}`}>
            <i style={{ background: STATUS_COLOR[item.status] }} />
            <span className="ol-mono">
              {stepId}[{i}]
            </span>
            <span className="ol-muted ol-small">{item.attempts.length > 1 ? `×${item.attempts.length}` : ''}</span>
            <StatusBadge status={item.status} />
          </button>
          {open === i && (
            <pre className="ol-json ol-small">{JSON.stringify(item.error ?? item.output ?? null, null, 2)}</pre>
          )}
        </div>
      ))}
    </div>
  );
}

/** The extra line of a step in the language: why it was skipped, what it waits for, its child. */
export function StepKindDetail({ runId, stepId, step }: { runId: string; stepId: string; step: StepView }) {
  return (
    <>
      {step.status === 'SKIPPED' && step.skip !== undefined && (
        <div className="ol-skip-reason" data-testid={`skip-reason-${stepId}`}>
          Skipped: {step.skip.reason}
        </div>
      )}
      {step.items !== undefined && <ItemCounts step={step} />}
      {step.wakeAt !== undefined && step.status === 'RUNNING' && <SleepCountdown step={step} />}
      {step.waitingFor !== undefined && step.status === 'RUNNING' && <SignalForm runId={runId} stepId={stepId} signal={step.waitingFor.signal} />}
      {step.childRunId !== undefined && (
        <div className="ol-small" data-testid={`child-link-${stepId}`}>
          child run{' '}
          <Link to={{ name: 'run', runId: step.childRunId }} className="ol-mono">
            {step.childRunId.slice(0, 8)}… →
          </Link>
        </div>
      )}
      {step.items !== undefined && <ItemList step={step} stepId={stepId} />}
    </>
  );
}

/** The compact form inside a graph node. */
export function NodeKindLine({ stepId, step }: { stepId: string; step: StepView }) {
  if (step.status === 'SKIPPED' && step.skip !== undefined)
    return (
      <div className="ol-node-note" title={step.skip.reason} data-testid={`skip-reason-${stepId}`}>
        {step.skip.reason}
      </div>
    );
  if (step.items !== undefined && step.status !== 'PENDING') return <ItemCounts step={step} />;
  if (step.wakeAt !== undefined && step.status === 'RUNNING') return <SleepCountdown step={step} />;
  if (step.waitingFor !== undefined && step.status === 'RUNNING')
    return (
      <div className="ol-node-wait">
        <span className="ol-mono">✉ {step.waitingFor.signal}</span>
        <span className="ol-btn ol-btn-primary ol-btn-tiny" data-testid={`approve-${stepId}`}>
          Approve…
        </span>
      </div>
    );
  if (step.childRunId !== undefined)
    return (
      <div className="ol-node-note nodrag" data-testid={`child-link-${stepId}`}>
        <Link to={{ name: 'run', runId: step.childRunId }} className="ol-mono">
          child {step.childRunId.slice(0, 8)}… →
        </Link>
      </div>
    );
  return null;
}
