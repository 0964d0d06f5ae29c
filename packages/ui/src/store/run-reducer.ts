/**
 * The UI's projection of a run's events onto the RunView shape of GET /api/v1/runs/{id}. It is
 * pure and never mutates its input, so React can compare views by reference. An event whose seq
 * is not after `view.lastSeq` changes nothing: replays and duplicates are harmless.
 */
import type { AttemptView, RunEvent, RunStatus, RunSummary, RunView, StepDefinition, StepView } from '../api/types.ts';

const TERMINAL_RUN: ReadonlySet<RunStatus> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

export function isTerminalRun(status: RunStatus): boolean {
  return TERMINAL_RUN.has(status);
}

const ITEM_ID = /^(.+)\[(\d+)\]$/;

/** Edits a step, or the item `<id>[<index>]` of a forEach step. */
function withStep(view: RunView, stepId: string, update: (step: StepView) => StepView): RunView {
  const item = ITEM_ID.exec(stepId);
  if (item !== null) {
    const ownerId = item[1] as string;
    const index = Number(item[2]);
    const owner = view.steps[ownerId];
    if (owner === undefined) return view;
    const items = [...(owner.items ?? [])];
    const current = items[index] ?? { status: 'PENDING', task: owner.task, dependsOn: [], attempts: [] };
    items[index] = update(current);
    return { ...view, steps: { ...view.steps, [ownerId]: { ...owner, items } } };
  }
  const step = view.steps[stepId] ?? { status: 'PENDING', task: '?', dependsOn: [], attempts: [] };
  return { ...view, steps: { ...view.steps, [stepId]: update(step) } };
}

/** Items of a forEach step that had not ended when the step did are cancelled with it. */
function endItems(step: StepView): StepView {
  if (step.items === undefined) return step;
  const ended = new Set(['SUCCEEDED', 'FAILED', 'SKIPPED', 'CANCELLED']);
  return { ...step, items: step.items.map((i) => (ended.has(i.status) ? i : { ...i, status: 'CANCELLED', nextRetryAt: undefined })) };
}

/** What a step does, in a few words: its task, or sleep, signal <name>, workflow <name>. */
export function stepLabel(def: StepDefinition): string {
  if (def.type === 'sleep') return 'sleep';
  if (def.type === 'wait') return `signal ${def.signal ?? ''}`;
  if (def.type === 'workflow') return `workflow ${def.workflow ?? ''}`;
  return def.task ?? '';
}

function running(s: StepView, attempt: number, at: number): StepView {
  return { ...withAttempt(s, attempt, (a) => ({ ...a, status: 'RUNNING', startedAt: at }), at), status: 'RUNNING', nextRetryAt: undefined };
}

function withAttempt(step: StepView, attempt: number, update: (a: AttemptView) => AttemptView, at: number): StepView {
  const idx = step.attempts.findIndex((a) => a.attempt === attempt);
  const attempts = step.attempts.slice();
  if (idx === -1) attempts.push(update({ attempt, status: 'SCHEDULED', scheduledAt: at }));
  else attempts[idx] = update(attempts[idx] as AttemptView);
  attempts.sort((a, b) => a.attempt - b.attempt);
  return { ...step, attempts };
}

/** A fresh view from a RunStarted event. */
export function viewFromStart(event: Extract<RunEvent, { type: 'RunStarted' }>): RunView {
  const steps: Record<string, StepView> = {};
  for (const s of event.data.definition.steps) {
    steps[s.id] = { status: 'PENDING', task: stepLabel(s), dependsOn: s.dependsOn ?? [], attempts: [] };
  }
  const { parentRunId, parentStepId } = event.data;
  return {
    ...(parentRunId !== undefined && parentStepId !== undefined ? { parentRunId, parentStepId } : {}),
    runId: event.runId,
    workflow: event.data.workflow,
    version: event.data.version,
    status: 'RUNNING',
    input: event.data.input,
    createdAt: event.at,
    updatedAt: event.at,
    lastSeq: event.seq,
    definition: event.data.definition,
    steps,
  };
}

/** Applies one event; returns the same object when the event is old or does not apply. */
export function applyEvent(view: RunView | undefined, event: RunEvent): RunView | undefined {
  if (view === undefined) return event.type === 'RunStarted' ? viewFromStart(event) : undefined;
  if (event.seq <= view.lastSeq) return view;
  const next = reduce(view, event);
  return { ...next, lastSeq: event.seq, updatedAt: Math.max(view.updatedAt, event.at) };
}

/** Applies events in order. */
export function applyEvents(view: RunView | undefined, events: readonly RunEvent[]): RunView | undefined {
  let v = view;
  for (const e of events) v = applyEvent(v, e);
  return v;
}

function reduce(view: RunView, e: RunEvent): RunView {
  const at = e.at;
  switch (e.type) {
    case 'RunStarted':
      return view;
    case 'StepScheduled':
      return withStep(
        view.status === 'PENDING' ? { ...view, status: 'RUNNING' } : view,
        e.data.stepId,
        (s) => ({
          ...withAttempt(s, e.data.attempt, (a) => ({ ...a, status: 'SCHEDULED', scheduledAt: at }), at),
          status: 'SCHEDULED',
          nextRetryAt: undefined,
        }),
      );
    case 'StepStarted':
      return withStep(view, e.data.stepId, (s) => ({
        ...withAttempt(s, e.data.attempt, (a) => ({ ...a, status: 'RUNNING', startedAt: at, workerId: e.data.workerId }), at),
        status: 'RUNNING',
      }));
    case 'StepProgress':
      return withStep(view, e.data.stepId, (s) =>
        withAttempt(s, e.data.attempt, (a) => ({ ...a, progress: { fraction: e.data.fraction, message: e.data.message } }), at),
      );
    case 'StepLog':
      return view;
    case 'StepSucceeded':
      return withStep(view, e.data.stepId, (s) => ({
        // Attempt 0: a step that ended without attempts of its own (a forEach ends with its items).
        ...(e.data.attempt === 0 ? s : withAttempt(s, e.data.attempt, (a) => ({ ...a, status: 'SUCCEEDED', endedAt: at, output: e.data.output }), at)),
        status: 'SUCCEEDED',
        output: e.data.output,
        error: undefined,
        wakeAt: undefined,
        waitingFor: undefined,
      }));
    case 'AttemptFailed':
      return withStep(view, e.data.stepId, (s) =>
        withAttempt(
          s,
          e.data.attempt,
          (a) => ({ ...a, status: e.data.reason === 'error' ? 'FAILED' : 'TIMED_OUT', endedAt: at, error: e.data.error }),
          at,
        ),
      );
    case 'RetryScheduled':
      return withStep(view, e.data.stepId, (s) => ({
        ...withAttempt(s, e.data.attempt, (a) => ({ ...a, retry: e.data }), at),
        status: 'RETRY_WAIT',
        nextRetryAt: e.data.dueAt,
      }));
    case 'StepFailed':
      return withStep(view, e.data.stepId, (s) => endItems({ ...s, status: 'FAILED', error: e.data.error, nextRetryAt: undefined, waitingFor: undefined }));
    case 'StepSkipped':
      return withStep(view, e.data.stepId, (s) => ({ ...s, status: 'SKIPPED', skip: { cause: e.data.cause ?? 'failure', reason: e.data.reason } }));
    case 'ForEachExpanded':
      return withStep(view, e.data.stepId, (s) => ({
        ...s,
        status: 'RUNNING',
        nextRetryAt: undefined,
        items:
          s.items?.length === e.data.count
            ? s.items.map((i) => (i.status === 'SUCCEEDED' ? i : { ...i, status: 'PENDING', error: undefined, nextRetryAt: undefined }))
            : Array.from({ length: e.data.count }, () => ({ status: 'PENDING' as const, task: s.task, dependsOn: [], attempts: [] })),
      }));
    case 'StepSleeping':
      return withStep(view, e.data.stepId, (s) => ({ ...running(s, e.data.attempt, at), wakeAt: e.data.until }));
    case 'StepWaiting':
      return withStep(view, e.data.stepId, (s) => ({ ...running(s, e.data.attempt, at), waitingFor: { signal: e.data.signal, timeoutAt: e.data.timeoutAt } }));
    case 'SignalReceived':
      return view;
    case 'ChildRunStarted':
      return withStep(view, e.data.stepId, (s) => ({ ...running(s, e.data.attempt, at), childRunId: e.data.childRunId }));
    case 'StepCancelled':
      return withStep(view, e.data.stepId, (s) => {
        const attempt = e.data.attempt;
        const base = attempt === undefined ? s : withAttempt(s, attempt, (a) => (a.endedAt === undefined ? { ...a, status: 'CANCELLED', endedAt: at } : a), at);
        return endItems({ ...base, status: 'CANCELLED', nextRetryAt: undefined, wakeAt: undefined, waitingFor: undefined });
      });
    case 'RunSucceeded':
      return { ...view, status: 'SUCCEEDED', output: e.data.output, error: undefined };
    case 'RunFailed':
      return { ...view, status: 'FAILED', error: e.data.error };
    case 'RunCancelled':
      return { ...view, status: 'CANCELLED' };
    case 'RunRetried': {
      let v: RunView = { ...view, status: 'RUNNING', error: undefined, output: undefined };
      for (const id of e.data.steps) v = withStep(v, id, (s) => ({ ...s, status: 'PENDING', error: undefined, nextRetryAt: undefined, skip: undefined }));
      return v;
    }
  }
}

/**
 * Applies an event to a run-list row. Rows from GET /api/v1/runs may carry no lastSeq; then an
 * event older than the row's `updatedAt` is taken as already reflected in it.
 */
export function applySummaryEvent(row: RunSummary | undefined, e: RunEvent): RunSummary | undefined {
  if (row === undefined) {
    if (e.type !== 'RunStarted') return undefined;
    return { runId: e.runId, workflow: e.data.workflow, version: e.data.version, status: 'RUNNING', createdAt: e.at, updatedAt: e.at, lastSeq: e.seq };
  }
  if (row.lastSeq !== undefined ? e.seq <= row.lastSeq : e.at < row.updatedAt) return row;
  const next: RunSummary = { ...row, lastSeq: e.seq, updatedAt: Math.max(row.updatedAt, e.at) };
  switch (e.type) {
    case 'StepScheduled':
    case 'StepStarted':
      if (next.status === 'PENDING') next.status = 'RUNNING';
      break;
    case 'RunSucceeded':
      next.status = 'SUCCEEDED';
      next.endedAt = e.at;
      break;
    case 'RunFailed':
      next.status = 'FAILED';
      next.error = e.data.error;
      next.endedAt = e.at;
      break;
    case 'RunCancelled':
      next.status = 'CANCELLED';
      next.endedAt = e.at;
      break;
    case 'RunRetried':
      next.status = 'RUNNING';
      next.error = undefined;
      next.endedAt = undefined;
      break;
    default:
      break;
  }
  return next;
}

/** Normalises an item of GET /api/v1/runs (a full RunView or a summary) to a list row. */
export function toSummary(item: RunSummary | RunView): RunSummary {
  const row: RunSummary = {
    runId: item.runId,
    workflow: item.workflow,
    version: item.version,
    status: item.status,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    lastSeq: item.lastSeq,
    error: item.error,
  };
  if (isTerminalRun(item.status)) row.endedAt = item.updatedAt;
  return row;
}
