/**
 * A schedule: which workflow to start, when (cron in an IANA time zone), and what to do about
 * overlapping runs and firings missed while no process could fire them.
 */
import { z } from 'zod';
import { Cron } from 'croner';

export const OVERLAP_POLICIES = ['skip', 'allow', 'cancelPrevious'] as const;
export const CATCHUP_POLICIES = ['none', 'last', 'all'] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];
export type CatchupPolicy = (typeof CATCHUP_POLICIES)[number];

export const SCHEDULE_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9._-]{0,127}$/;

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** A cron pattern of 5 fields, or 6 with seconds first; croner parses it. */
function cronIssue(cron: string): string | undefined {
  const fields = cron.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) return `must have 5 fields, or 6 with seconds first; got ${fields}`;
  try {
    new Cron(cron, { paused: true, mode: '5-or-6-parts' });
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message.replace(/^CronPattern: /, '') : String(error);
  }
}

export const ScheduleBody = z.strictObject({
  workflow: z.string().min(1).max(200),
  version: z.number().int().min(1).optional().meta({ description: 'Default: the latest version at each firing.' }),
  cron: z
    .string()
    .min(1)
    .max(200)
    .superRefine((cron, ctx) => {
      const issue = cronIssue(cron);
      if (issue !== undefined) ctx.addIssue({ code: 'custom', message: issue });
    })
    .meta({ description: '5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first.' }),
  timezone: z
    .string()
    .max(100)
    .refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris')
    .optional()
    .meta({ description: 'IANA time zone the cron is read in; default UTC.' }),
  input: z.unknown().optional(),
  overlap: z.enum(OVERLAP_POLICIES).optional().meta({ description: 'When the previous run is still going: skip this firing (default), allow both, or cancel the previous.' }),
  catchup: z.enum(CATCHUP_POLICIES).optional().meta({ description: 'Firings missed while no process could fire: none (default), the last one, or all.' }),
  paused: z.boolean().optional(),
});
export type ScheduleBody = z.infer<typeof ScheduleBody>;

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
