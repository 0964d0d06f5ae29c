/**
 * A schedule: which workflow to start, when (cron in an IANA time zone), and what to do about
 * overlapping runs and firings missed while no process could fire them.
 */
import { Cron } from 'croner';
import type { CatchupPolicy, OverlapPolicy, ScheduleBody } from '@orchestrator-lite/core';

/** The stored schedule: the body with defaults applied. */
export interface ScheduleSpec {
  name: string;
  workflow: string;
  version?: number;
  cron: string;
  timezone: string;
  input: unknown;
  overlap: OverlapPolicy;
  catchup: CatchupPolicy;
  paused: boolean;
  createdAt: number;
  /** Firings owed start after this: a change or a resume owes nothing from before it. */
  updatedAt: number;
}

export function withDefaults(name: string, body: ScheduleBody): Omit<ScheduleSpec, 'createdAt' | 'updatedAt'> {
  return {
    name,
    workflow: body.workflow,
    ...(body.version === undefined ? {} : { version: body.version }),
    cron: body.cron.trim().replace(/\s+/g, ' '),
    timezone: body.timezone ?? 'UTC',
    input: body.input ?? {},
    overlap: body.overlap ?? 'skip',
    catchup: body.catchup ?? 'none',
    paused: body.paused ?? false,
  };
}

/** One firing, as the schedule remembers it. */
export interface Firing {
  /** The cron time it fired for (or the trigger time), epoch ms. */
  fireAt: number;
  runId?: string;
  /** Why no run was started for this firing. */
  skipped?: string;
  manual?: boolean;
}

/** What the firing process records after each firing; one record per schedule. */
export interface FiringState {
  name: string;
  /** The latest cron time handled (fired or skipped). */
  lastFireAt: number;
  /** The most recent firings, newest first. */
  recent: Firing[];
}

export const RECENT_FIRINGS = 10;

/** A compiled cron: the next fire time strictly after `after`, or null when there is none. */
export interface CronClock {
  next(after: number): number | null;
}

export function compileCron(cron: string, timezone: string): CronClock {
  const job = new Cron(cron, { paused: true, timezone, mode: '5-or-6-parts' });
  return {
    next: (after) => {
      const date = job.nextRun(new Date(after));
      return date === null ? null : date.getTime();
    },
  };
}

/** The idempotency key of a firing: the same firing always starts the same run. */
export function firingKey(name: string, fireAt: number): string {
  return `schedule:${name}:${new Date(fireAt).toISOString()}`;
}
