/**
 * Request and response shapes of the schedule routes. A schedule says which workflow to start,
 * when (cron in an IANA time zone), and what to do about overlapping runs and firings missed
 * while no process could fire them. Cron patterns are checked with croner, which fires them too.
 */
import { z } from 'zod';
import { Cron } from 'croner';
import { RunStatusSchema } from './common.js';

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

/** PUT /api/v1/schedules/{name} */
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

export const ScheduleNameParams = z.object({ name: z.string().min(1).max(128) });

/** One firing of a schedule, as GET /api/v1/schedules shows it. */
export const ScheduleLastRun = z.object({
  fireAt: z.number().meta({ description: 'The cron time (or trigger time) of the firing, epoch ms.' }),
  runId: z.string().optional(),
  status: RunStatusSchema.nullable().optional().meta({ description: 'The run status as this gateway last saw it.' }),
  skipped: z.string().optional().meta({ description: 'Why this firing started no run.' }),
  manual: z.boolean().optional(),
});
export type ScheduleLastRun = z.infer<typeof ScheduleLastRun>;

/** GET /api/v1/schedules/{name}, and each item of the list. */
export const ScheduleItem = z.object({
  name: z.string(),
  workflow: z.string(),
  version: z.number().int().optional(),
  cron: z.string(),
  timezone: z.string(),
  input: z.unknown(),
  overlap: z.enum(OVERLAP_POLICIES),
  catchup: z.enum(CATCHUP_POLICIES),
  paused: z.boolean(),
  createdAt: z.number(),
  updatedAt: z.number(),
  nextFireAt: z.number().nullable().meta({ description: 'The next cron time, epoch ms; null when paused.' }),
  lastFireAt: z.number().nullable(),
  lastRuns: z.array(ScheduleLastRun).meta({ description: 'The most recent firings, newest first.' }),
});
export type ScheduleItem = z.infer<typeof ScheduleItem>;

/** GET /api/v1/schedules */
export const ScheduleListResponse = z.object({ items: z.array(ScheduleItem) });
export type ScheduleListResponse = z.infer<typeof ScheduleListResponse>;

/** POST /api/v1/schedules/{name}/trigger: 202 */
export const ScheduleTriggerResponse = z.object({ runId: z.string() });
export type ScheduleTriggerResponse = z.infer<typeof ScheduleTriggerResponse>;
