/**
 * One run, live: its DAG, the selected step's attempts (with the retry countdown and progress),
 * a Gantt timeline, the log tail and the run's input and output. Cancel and retry act on it.
 */
import { useEffect, useMemo, useState } from 'react';
import type { RunEvent, RunView as RunViewData, StepView } from '../api/types.ts';
import { ConnectionIndicator } from '../components/connection-indicator.tsx';
import { DagGraph } from '../components/dag-graph.tsx';
import { formatClock, formatDuration, shortId } from '../components/format.ts';
import { JsonView } from '../components/json-view.tsx';
import { LogTail } from '../components/log-tail.tsx';
import { RetryCountdown, retryExplanation } from '../components/retry-countdown.tsx';
import { STATUS_COLOR, STATUS_LABEL, StatusBadge } from '../components/status.tsx';
import { Timeline } from '../components/timeline.tsx';
import { StepKindDetail } from '../components/step-kinds.tsx';
import { formatRelative } from '../components/format-time.ts';
import { Link } from '../router.tsx';
import { useNow, useOrchestrator, useStore } from '../store/react.tsx';
import { isTerminalRun } from '../store/run-reducer.ts';
import { RerunForm } from './rerun-form.tsx';

export interface RunDetailProps {
  runId: string;
  /** Show the "all runs" link. @default true */
  showBack?: boolean;
}

export function RunDetail({ runId, showBack = true }: RunDetailProps) {
  const store = useOrchestrator();
  useEffect(() => store.watchRun(runId), [store, runId]);
  const detail = useStore((s) => s.details[runId]);
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const view = detail?.view;

  if (detail === undefined || (view === undefined && detail.loading)) return <div className="ol-page ol-empty">Loading run {runId}…</div>;
  if (view === undefined && detail.notFound === true)
    return (
      <div className="ol-page">
        {showBack && <Link to={{ name: 'runs' }} className="ol-back">← All runs</Link>}
        <div className="ol-card ol-empty" data-testid="run-not-found">
          Run {runId} not found: the gateway has no run with this id.
        </div>
      </div>
    );
  if (view === undefined)
    return (
      <div className="ol-page">
        {showBack && <Link to={{ name: 'runs' }} className="ol-back">← All runs</Link>}
        <div className="ol-card ol-empty" data-testid="run-waiting">
          {detail.error !== undefined ? `Could not load the run: ${detail.error}` : `Waiting for run ${runId} to start…`}
          <ConnectionIndicator state={detail.connection} />
        </div>
      </div>
    );
  const step = selected !== undefined ? view.steps[selected] : undefined;
  return (
    <div className="ol-page ol-run" data-testid="run-detail" data-run-id={runId} data-status={view.status} data-last-seq={detail.lastSeq} data-events={detail.events.length}>
      <RunHeader view={view} connection={detail.connection} showBack={showBack} />
      <div className="ol-run-main">
        <div className="ol-card ol-graph-card">
          <div className="ol-card-title">
            Graph <span className="ol-muted">· {view.definition.steps.length} steps · click a step for details</span>
          </div>
          <DagGraph definition={view.definition} steps={view.steps} selected={selected} onSelect={setSelected} height={view.definition.steps.length > 30 ? 560 : undefined} />
        </div>
        <div className="ol-card ol-step-panel" data-testid="step-panel">
          {selected !== undefined && step !== undefined ? (
            <StepPanel key={selected} view={view} stepId={selected} step={step} events={detail.events} onClose={() => setSelected(undefined)} />
          ) : (
            <RunSummaryPanel view={view} onSelect={setSelected} />
          )}
        </div>
      </div>
      <div className="ol-card">
        <div className="ol-card-title">Timeline</div>
        <Timeline run={view} onSelect={setSelected} />
      </div>
      <div className="ol-run-bottom">
        <div className="ol-card">
          <div className="ol-card-title">
            Logs {selected !== undefined && <span className="ol-muted">· {selected}</span>}
          </div>
          <LogTail events={detail.events} stepFilter={selected} />
        </div>
        <div className="ol-card ol-io">
          <div className="ol-card-title">Input</div>
          <JsonView value={view.input} label="run input" />
          <div className="ol-card-title">Output</div>
          {view.error !== undefined ? <div className="ol-error-box">{view.error.type}: {view.error.message}</div> : <JsonView value={view.output} label="run output" />}
        </div>
      </div>
    </div>
  );
}

function RunHeader({ view, connection, showBack }: { view: RunViewData; connection: Parameters<typeof ConnectionIndicator>[0]['state']; showBack: boolean }) {
  const store = useOrchestrator();
  const live = !isTerminalRun(view.status);
  const now = useNow(500, live);
  const [busy, setBusy] = useState(false);
  const act = (fn: () => Promise<void>) => {
    setBusy(true);
    void fn().finally(() => setBusy(false));
  };
  return (
    <div className="ol-run-head">
      <div>
        {showBack && <Link to={{ name: 'runs' }} className="ol-back">← All runs</Link>}
        <h1 className="ol-h1">
          <span className="ol-mono" data-testid="run-id">{view.runId}</span>
          <StatusBadge status={view.status} />
        </h1>
        <div className="ol-sub">
          <Link to={{ name: 'workflows', workflow: view.workflow }}>{view.workflow}</Link> v{view.version} · started {formatClock(view.createdAt)} ·{' '}
          {formatDuration((live ? now : view.updatedAt) - view.createdAt)} · {Object.values(view.steps).filter((s) => s.status === 'SUCCEEDED').length}/
          {Object.keys(view.steps).length} steps done
        </div>
        {view.rerunOf !== undefined && (
          <div className="ol-sub" data-testid="rerun-of">
            rerun of{' '}
            <Link to={{ name: 'run', runId: view.rerunOf.runId }} className="ol-mono">
              {shortId(view.rerunOf.runId)}
            </Link>{' '}
            from step <span className="ol-mono">{view.rerunOf.fromStep}</span> ·{' '}
            <Link to={{ name: 'compare', baseRunId: view.rerunOf.runId, runId: view.runId }} testId="compare-link">
              compare the two runs
            </Link>
          </div>
        )}
        {view.status === 'PENDING' && view.queued !== undefined && <QueuedNote queued={view.queued} now={now} />}
        {view.parentRunId !== undefined && (
          <div className="ol-sub" data-testid="parent-link">
            child of run{' '}
            <Link to={{ name: 'run', runId: view.parentRunId }} className="ol-mono">
              {shortId(view.parentRunId)}
            </Link>{' '}
            · step <span className="ol-mono">{view.parentStepId}</span>
          </div>
        )}
      </div>
      <div className="ol-run-actions">
        <ConnectionIndicator state={connection} />
        <button type="button" className="ol-btn ol-btn-danger" disabled={!live || busy} onClick={() => act(() => store.cancel(view.runId))} data-testid="cancel">
          Cancel
        </button>
        <button type="button" className="ol-btn" disabled={live || view.status === 'SUCCEEDED' || busy} onClick={() => act(() => store.retry(view.runId))} data-testid="retry">
          Retry failed steps
        </button>
      </div>
    </div>
  );
}

function QueuedNote({ queued, now }: { queued: NonNullable<RunViewData['queued']>; now: number }) {
  return (
    <div className="ol-queued-note" data-testid="queued-reason">
      <b>Queued</b> · {queued.reason} <span className="ol-muted">· key <span className="ol-mono">{queued.key}</span> · limit {queued.limit} · policy {queued.policy} · since {formatRelative(queued.since, now)}</span>
    </div>
  );
}

function RunSummaryPanel({ view, onSelect }: { view: RunViewData; onSelect: (id: string) => void }) {
  const active = Object.entries(view.steps).filter(([, s]) => s.status === 'RUNNING' || s.status === 'RETRY_WAIT' || s.status === 'SCHEDULED');
  const failed = Object.entries(view.steps).filter(([, s]) => s.status === 'FAILED');
  const attempts = Object.values(view.steps).reduce((n, s) => n + s.attempts.length, 0);
  const retries = Object.values(view.steps).reduce((n, s) => n + s.attempts.filter((a) => a.retry !== undefined).length, 0);
  const live = !isTerminalRun(view.status);
  const now = useNow(500, live);
  return (
    <div>
      <div className="ol-run-stats">
        <div className="ol-run-stat">
          <b>{formatDuration((live ? now : view.updatedAt) - view.createdAt)}</b>
          <span>duration</span>
        </div>
        <div className="ol-run-stat">
          <b>{attempts}</b>
          <span>attempts</span>
        </div>
        <div className="ol-run-stat">
          <b>{retries}</b>
          <span>retries</span>
        </div>
      </div>
      {(active.length > 0 || failed.length > 0) && <div className="ol-card-title">Now</div>}
      {active.map(([id, s]) => (
        <button key={id} type="button" className="ol-active-step" onClick={() => onSelect(id)}>
          <div className="ol-active-head">
            <strong>{id}</strong> <StatusBadge status={s.status} />
          </div>
          <AttemptLive step={s} />
          {s.waitingFor !== undefined && <div className="ol-small ol-muted">waiting for the signal “{s.waitingFor.signal}” · open to approve</div>}
        </button>
      ))}
      {failed.map(([id, s]) => (
        <button key={id} type="button" className="ol-active-step" onClick={() => onSelect(id)}>
          <div className="ol-active-head">
            <strong>{id}</strong> <StatusBadge status={s.status} />
          </div>
          <div className="ol-error-text">{s.error?.message}</div>
        </button>
      ))}
      <div className="ol-card-title" style={{ marginTop: 12 }}>
        Steps
      </div>
      <div className="ol-steps-mini">
        {view.definition.steps.map(({ id }) => {
          const s = view.steps[id];
          if (s === undefined) return null;
          const first = s.attempts[0];
          const last = s.attempts[s.attempts.length - 1];
          const began = first?.startedAt ?? first?.scheduledAt;
          const ended = last?.endedAt ?? (live && began !== undefined ? now : undefined);
          return (
            <button key={id} type="button" className="ol-step-mini" onClick={() => onSelect(id)} title={STATUS_LABEL[s.status]}>
              <i style={{ background: STATUS_COLOR[s.status] }} />
              <span>{id}</span>
              <span className="ol-muted ol-small">{s.attempts.length > 1 ? `×${s.attempts.length}` : ''}</span>
              <span className="ol-mono">{began !== undefined && ended !== undefined ? formatDuration(ended - began) : '—'}</span>
            </button>
          );
        })}
      </div>
    </div>
  );
}

function AttemptLive({ step }: { step: StepView }) {
  const a = step.attempts[step.attempts.length - 1];
  if (a === undefined) return null;
  if (step.status === 'RETRY_WAIT' && a.retry !== undefined) return <RetryCountdown retry={a.retry} />;
  if (a.progress !== undefined)
    return (
      <div className="ol-progress" data-testid="progress">
        <div className="ol-bar">
          <div style={{ width: `${Math.round(a.progress.fraction * 100)}%` }} />
        </div>
        <span>
          {Math.round(a.progress.fraction * 100)}%{a.progress.message !== undefined ? ` · ${a.progress.message}` : ''}
        </span>
      </div>
    );
  return null;
}

function StepPanel({ view, stepId, step, events, onClose }: { view: RunViewData; stepId: string; step: StepView; events: readonly RunEvent[]; onClose: () => void }) {
  const runId = view.runId;
  const [rerunning, setRerunning] = useState(false);
  const reused = useMemo(() => events.some((e) => e.type === 'StepReused' && e.data.stepId === stepId), [events, stepId]);
  const input = useMemo(() => {
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i];
      if (e !== undefined && e.type === 'StepScheduled' && e.data.stepId === stepId) return e.data.input;
    }
    return undefined;
  }, [events, stepId]);
  return (
    <div data-testid={`step-panel-${stepId}`}>
      <div className="ol-panel-head">
        <div>
          <div className="ol-card-title">{stepId}</div>
          <div className="ol-muted">{step.task}</div>
        </div>
        <div>
          <StatusBadge status={step.status} />
          <button type="button" className="ol-x" onClick={onClose} aria-label="close step">
            ×
          </button>
        </div>
      </div>
      {reused && view.rerunOf !== undefined && (
        <div className="ol-small ol-muted" data-testid="step-reused">
          reused: its output comes from run <span className="ol-mono">{shortId(view.rerunOf.runId)}</span>
        </div>
      )}
      {isTerminalRun(view.status) && view.definition.steps.some((s) => s.id === stepId) && (
        rerunning ? (
          <RerunForm view={view} stepId={stepId} onClose={() => setRerunning(false)} />
        ) : (
          <button type="button" className="ol-btn ol-btn-small ol-rerun-btn" onClick={() => setRerunning(true)} data-testid="rerun-from-here">
            ↻ Rerun from here
          </button>
        )
      )}
      <AttemptLive step={step} />
      <StepKindDetail runId={runId} stepId={stepId} step={step} />
      <div className="ol-attempts">
        {step.attempts.map((a) => (
          <div key={a.attempt} className="ol-attempt">
            <div className="ol-attempt-head">
              <strong>Attempt {a.attempt}</strong>
              <StatusBadge status={a.status} />
              <span className="ol-muted ol-mono">{a.endedAt !== undefined && a.startedAt !== undefined ? formatDuration(a.endedAt - a.startedAt) : ''}</span>
            </div>
            {a.workerId !== undefined && <div className="ol-muted ol-small">worker {a.workerId}</div>}
            {a.error !== undefined && (
              <div className="ol-error-text">
                {a.error.type}: {a.error.message}
              </div>
            )}
            {a.retry !== undefined && <div className="ol-small ol-retry-why">retry: {retryExplanation(a.retry)}</div>}
          </div>
        ))}
      </div>
      <div className="ol-card-title">Input</div>
      <JsonView value={input} label="step input" />
      <div className="ol-card-title">Output</div>
      {step.error !== undefined ? <div className="ol-error-box">{step.error.type}: {step.error.message}</div> : <JsonView value={step.output} label="step output" />}
    </div>
  );
}
