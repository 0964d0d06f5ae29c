/** Request and response shapes of the runs routes. */
import { z } from 'zod';
import { ErrorInfoSchema, RUN_STATUSES, RunEventSchema, RunViewSchema } from '@orchestrator-lite/core';
import type { RunCommandResponse, RunEventsResponse, RunListResponse, RunSummary, StartRunResponse } from '@orchestrator-lite/core';
import { queryString, route } from './json-schema.js';

export const StartRunBody = z.strictObject({
  workflow: z.string().min(1).max(200),
  version: z.number().int().min(1).optional().meta({ description: 'Default: the latest version.' }),
  input: z.unknown().optional(),
  idempotencyKey: z.string().min(1).max(512).optional().meta({ description: 'A second start with the same key answers 200 with the first run.' }),
  priority: z.union([z.literal(1), z.literal(2), z.literal(3)], { error: 'must be 1 (high), 2 or 3 (low)' }).optional().meta({ description: '1 (high) to 3 (low), default 2: workers take the higher first.' }),
});
export type StartRunBody = z.infer<typeof StartRunBody>;

export const CancelBody = z.strictObject({ reason: z.string().max(1000).optional() }).optional();
export const EmptyBody = z.strictObject({}).optional();

export const RunIdParams = z.object({ runId: z.string().min(1).max(200) });

/** Query values arrive as strings; an array means the parameter was repeated, which is an error. */
export const ListQuery = z.object({
  status: queryString(`One of ${RUN_STATUSES.join(', ')}.`),
  workflow: z.string().min(1).max(200).optional(),
  limit: queryString('1..1000, default 50.'),
  cursor: queryString('The nextCursor of the previous page.'),
});

export const EventsQuery = z.object({ since: queryString('Events after this seq; default 0.') });

const RunStatusSchema = z.enum(RUN_STATUSES as unknown as [string, ...string[]]);
export const RunAccepted = z.object({ runId: z.string(), status: RunStatusSchema });
export const RunRef = z.object({ runId: z.string() });

const RunSummarySchema = z.object({
  runId: z.string(),
  workflow: z.string(),
  version: z.number().int(),
  status: RunStatusSchema,
  createdAt: z.number(),
  updatedAt: z.number(),
  lastSeq: z.number().int().meta({ description: 'The seq of the last event folded into the run; 0 before it started.' }),
  error: ErrorInfoSchema.optional(),
});
const RunListSchema = z.object({
  items: z.array(RunSummarySchema),
  nextCursor: z.string().nullable(),
  counts: z.record(z.string(), z.number().int()).meta({ description: 'Runs per status under the same filter.' }),
});
const EventItem = z.object({ seq: z.number().int(), type: z.string(), at: z.number(), data: z.unknown() });
const EventListSchema = z.object({ items: z.array(EventItem) }).meta({
  description: `Each item is one of: ${RunEventSchema.options.map((o) => o.shape.type.value).join(', ')}.`,
});

export const runSchemas = {
  start: route({
    summary: 'Start a run',
    tag: 'runs',
    body: StartRunBody,
    ok: { 200: RunAccepted, 202: RunAccepted },
    errors: [404, 409, 413],
  }),
  list: route({ summary: 'List runs, newest first', tag: 'runs', query: ListQuery, ok: { 200: RunListSchema } }),
  get: route({ summary: 'A run with its steps and attempts', tag: 'runs', params: RunIdParams, ok: { 200: RunViewSchema }, errors: [404] }),
  events: route({ summary: "A run's events in seq order", tag: 'runs', params: RunIdParams, query: EventsQuery, ok: { 200: EventListSchema }, errors: [404] }),
  cancel: route({ summary: 'Cancel a run', tag: 'runs', params: RunIdParams, body: CancelBody, ok: { 202: RunRef }, errors: [404, 409] }),
  retry: route({ summary: 'Rerun the failed steps of a finished run', tag: 'runs', params: RunIdParams, body: EmptyBody, ok: { 202: RunRef }, errors: [404, 409] }),
};

/*
 * The response types (core's `api/rest.ts`, which the UI reads too) and these schemas describe one
 * shape: what a route returns must satisfy its schema, and they name the same fields, so a drift
 * between them is a compile error.
 */
type Assignable<A, B> = [A] extends [B] ? true : false;
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
export const responseTypesMatchSchemas: [
  Assignable<RunListResponse, z.input<typeof RunListSchema>>,
  SameKeys<RunSummary, z.infer<typeof RunSummarySchema>>,
  SameKeys<RunListResponse, z.infer<typeof RunListSchema>>,
  Assignable<RunEventsResponse, z.input<typeof EventListSchema>>,
  Assignable<StartRunResponse, z.input<typeof RunAccepted>>,
  Assignable<RunCommandResponse, z.input<typeof RunRef>>,
] = [true, true, true, true, true, true];
