import type { RunEvent } from '@orchestrator-lite/core';

/**
 * An event's content for comparing two copies of one seq. Time is not content: a copy re-emitted
 * after a crash or a fence was reduced at another `now`, so a retry's due time differs, and an
 * attempt delivered again (at least once) was started again, so the start its result reports
 * differs; its drawn jitter and delay do not (the orchestrator seeds them with the input's
 * identity), and the step, the attempt, the worker, the outcome and every other field must be the
 * same.
 */
export function eventContent(event: RunEvent): string {
  const data = { ...(event.data as Record<string, unknown>) };
  if (event.type === 'RetryScheduled') delete data.dueAt;
  if (event.type === 'StepStarted' || event.type === 'StepSucceeded' || event.type === 'AttemptFailed') delete data.startedAt;
  return JSON.stringify({ type: event.type, data });
}
