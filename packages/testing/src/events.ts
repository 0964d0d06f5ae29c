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

/** One run's events grouped by seq: each seq's first copy, the copies after it, and those of them whose content differs. */
export interface CopiesBySeq {
  /** Each seq's first copy, in the order the seqs first appear. */
  first: Map<number, RunEvent>;
  /** Copies of a seq beyond the first (re-emitted after a crash or a takeover). */
  duplicates: number;
  /** A line for each later copy whose content (`eventContent`) differs from the first's. */
  differing: string[];
}

export function copiesBySeq(events: readonly RunEvent[]): CopiesBySeq {
  const first = new Map<number, RunEvent>();
  const differing: string[] = [];
  let duplicates = 0;
  for (const event of events) {
    const seen = first.get(event.seq);
    if (seen === undefined) {
      first.set(event.seq, event);
      continue;
    }
    duplicates += 1;
    const [a, b] = [eventContent(seen), eventContent(event)];
    if (a !== b) differing.push(`seq ${event.seq} is both ${a.slice(0, 200)} and ${b.slice(0, 200)}`);
  }
  return { first, duplicates, differing };
}
