/**
 * A run beside its rerun, step by step: status and output on each side, the steps the rerun
 * reused marked as such, and every step, input or output that differs highlighted. Both runs
 * stay live, so a rerun still going fills in as it runs.
 */
import { useEffect, useMemo } from 'react';
import type { ReactNode } from 'react';
import type { RunView } from '../api/types.ts';
import { JsonView } from '../components/json-view.tsx';
import { StatusBadge } from '../components/status.tsx';
import { Link } from '../router.tsx';
import { useOrchestrator, useStore } from '../store/react.tsx';
import { compareRuns, reusedSteps } from '../store/run-diff.ts';
import type { RunComparison, StepComparison, StepSide } from '../store/run-diff.ts';

/** Both runs, kept live, and their step-by-step comparison once both are loaded. */
function useComparison(baseRunId: string, runId: string) {
  const store = useOrchestrator();
  useEffect(() => store.watchRun(baseRunId), [store, baseRunId]);
  useEffect(() => store.watchRun(runId), [store, runId]);
  const base = useStore((s) => s.details[baseRunId]);
  const rerun = useStore((s) => s.details[runId]);
  const comparison = useMemo(
    () => (base?.view !== undefined && rerun?.view !== undefined ? compareRuns(base.view, rerun.view, reusedSteps(rerun.events)) : undefined),
    [base?.view, rerun?.view, rerun?.events],
  );
  const missing = [base, rerun].find((d) => d?.notFound === true) !== undefined;
  return { base: base?.view, rerun: rerun?.view, comparison, missing };
}

export function CompareView({ baseRunId, runId }: { baseRunId: string; runId: string }) {
  const { base, rerun, comparison, missing } = useComparison(baseRunId, runId);
  return (
    <div className="ol-page" data-testid="compare-view">
      <Link to={{ name: 'run', runId }} className="ol-back">
        ← Run {runId}
      </Link>
      <h1 className="ol-h1">Compare runs</h1>
      {missing && <div className="ol-error-box">One of the runs does not exist (any more).</div>}
      {comparison === undefined || base === undefined || rerun === undefined ? (
        !missing && <div className="ol-empty">Loading both runs…</div>
      ) : (
        <>
          <div className="ol-compare-heads">
            <RunHead label="Original" view={base} />
            <RunHead label={rerun.rerunOf?.runId === baseRunId ? `Rerun from ${rerun.rerunOf.fromStep}` : 'Run'} view={rerun} />
          </div>
          <CompareTable comparison={comparison} base={base} rerun={rerun} />
        </>
      )}
    </div>
  );
}

/** The steps side by side, between a row for the run input and a row for the run output. */
function CompareTable({ comparison, base, rerun }: { comparison: RunComparison; base: RunView; rerun: RunView }) {
  return (
    <div className="ol-card">
      <div className="ol-card-title">
        Steps{' '}
        <span className="ol-muted" data-testid="compare-summary">
          · {comparison.changedSteps} of {comparison.steps.length} differ · {comparison.steps.filter((s) => s.reused).length} reused
        </span>
      </div>
      <table className="ol-table ol-compare" data-testid="compare-table">
        <thead>
          <tr>
            <th>Step</th>
            <th>Original</th>
            <th>Rerun</th>
          </tr>
        </thead>
        <tbody>
          <RunRow label="run input" testId="compare-input" changed={comparison.inputChanged} original={<JsonView value={base.input} />} again={<JsonView value={rerun.input} />} />
          {comparison.steps.map((s) => (
            <StepRow key={s.stepId} row={s} />
          ))}
          <RunRow label="run output" testId="compare-output" changed={comparison.outputChanged} original={<RunOutput view={base} />} again={<RunOutput view={rerun} />} />
        </tbody>
      </table>
    </div>
  );
}

/** A row of the run as a whole (its input or its output): the original's beside the rerun's, marked when they differ. */
function RunRow(props: { label: string; testId: string; changed: boolean; original: ReactNode; again: ReactNode }) {
  const { label, testId, changed, original, again } = props;
  return (
    <tr className={changed ? 'ol-diff' : undefined} data-testid={testId} data-changed={changed}>
      <td>
        <b>{label}</b>
        {changed && <span className="ol-pill ol-pill-diff">changed</span>}
      </td>
      <td>{original}</td>
      <td>{again}</td>
    </tr>
  );
}

/** A run's output, or its error if it failed. */
function RunOutput({ view }: { view: RunView }) {
  return view.error !== undefined ? <div className="ol-error-text">{view.error.message}</div> : <JsonView value={view.output} />;
}

function RunHead({ label, view }: { label: string; view: RunView }) {
  return (
    <div className="ol-card ol-compare-head">
      <div className="ol-card-title">{label}</div>
      <div className="ol-h1">
        <Link to={{ name: 'run', runId: view.runId }} className="ol-mono">
          {view.runId}
        </Link>
        <StatusBadge status={view.status} />
      </div>
      <div className="ol-sub">
        {view.workflow} v{view.version}
      </div>
    </div>
  );
}

function Side({ side, reused }: { side: StepSide | undefined; reused?: boolean }) {
  if (side === undefined) return <span className="ol-muted">not in this run</span>;
  return (
    <div>
      <div className="ol-compare-status">
        <StatusBadge status={side.status} />
        {reused === true && (
          <span className="ol-pill ol-pill-reused" data-testid="compare-reused">
            reused
          </span>
        )}
        <span className="ol-muted ol-small">{side.attempts === 0 ? '' : `${side.attempts} attempt${side.attempts === 1 ? '' : 's'}`}</span>
      </div>
      {side.error !== undefined ? (
        <div className="ol-error-text">
          {side.error.type}: {side.error.message}
        </div>
      ) : (
        <JsonView value={side.output} />
      )}
    </div>
  );
}

function StepRow({ row }: { row: StepComparison }) {
  return (
    <tr className={row.changed ? 'ol-diff' : row.reused ? 'ol-reused' : undefined} data-testid="compare-step" data-step={row.stepId} data-changed={row.changed} data-reused={row.reused}>
      <td>
        <b>{row.stepId}</b>
        {row.statusChanged && <span className="ol-pill ol-pill-diff">status</span>}
        {row.outputChanged && <span className="ol-pill ol-pill-diff">output</span>}
      </td>
      <td>
        <Side side={row.base} />
      </td>
      <td>
        <Side side={row.rerun} reused={row.reused} />
      </td>
    </tr>
  );
}
