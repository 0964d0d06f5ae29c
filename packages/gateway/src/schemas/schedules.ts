/** Request and response shapes of the schedule routes. */
import { z } from 'zod';
import { RUN_STATUSES } from '@orchestrator-lite/core';
import { CATCHUP_POLICIES, OVERLAP_POLICIES, ScheduleBody } from '../schedules/spec.js';
import { route } from './json-schema.js';

export { ScheduleBody };

export const ScheduleNameParams = z.object({ name: z.string().min(1).max(128) });

const LastRun = z.object({
  fireAt: z.number().meta({ description: 'The cron time (or trigger time) of the firing, epoch ms.' }),
  runId: z.string().optional(),
  status: z.enum(RUN_STATUSES as unknown as [string, ...string[]]).nullable().optional().meta({ description: 'The run status as this gateway last saw it.' }),
  skipped: z.string().optional().meta({ description: 'Why this firing started no run.' }),
  manual: z.boolean().optional(),
});

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
  lastRuns: z.array(LastRun).meta({ description: 'The most recent firings, newest first.' }),
});
export type ScheduleItem = z.infer<typeof ScheduleItem>;

export const scheduleSchemas = {
  put: route({ summary: 'Create or change a schedule', tag: 'schedules', params: ScheduleNameParams, body: ScheduleBody, ok: { 200: ScheduleItem, 201: ScheduleItem }, errors: [404, 413] }),
  list: route({ summary: 'Every schedule', tag: 'schedules', ok: { 200: z.object({ items: z.array(ScheduleItem) }) } }),
  get: route({ summary: 'A schedule with its next fire time and last runs', tag: 'schedules', params: ScheduleNameParams, ok: { 200: ScheduleItem }, errors: [404] }),
  delete: route({ summary: 'Delete a schedule', tag: 'schedules', params: ScheduleNameParams, ok: { 204: { description: 'Deleted' } }, errors: [404] }),
  trigger: route({ summary: 'Fire a schedule now', tag: 'schedules', params: ScheduleNameParams, ok: { 202: z.object({ runId: z.string() }) }, errors: [404] }),
};
