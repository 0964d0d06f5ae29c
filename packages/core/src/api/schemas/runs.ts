/** Request and response shapes of the runs routes. */
import { z } from 'zod';
import type { RunEvent } from '../../events.js';
import { ErrorInfoSchema, RunEventSchema, RunQueuedSchema } from '../../schemas.js';
import { RUN_STATUSES } from '../../run/types.js';
import { ApiErrorBody, PrioritySchema, RunStatusSchema, queryString } from './common.js';

export const StartRunBody = z.strictObject({
  workflow: z.string().min(1).max(200),
  version: z.number().int().min(1).optional().meta({ description: 'Default: the latest version.' }),
  input: z.unknown().optional(),
  idempotencyKey: z.string().min(1).max(512).optional().meta({ description: 'A second start with the same key answers 200 with the first run.' }),
  priority: PrioritySchema.optional().meta({ description: '1 (high) to 3 (low), default 2: workers take the higher first.' }),
});
export type StartRunBody = z.infer<typeof StartRunBody>;

/** The most runs one POST /api/v1/runs/batch starts. */
export const MAX_BATCH_RUNS = 1000;

export const StartRunsBody = z
  .strictObject({ runs: z.array(StartRunBody).min(1).max(MAX_BATCH_RUNS) })
  .meta({ description: `1 to ${MAX_BATCH_RUNS} runs to start, each as the body of POST /api/v1/runs.` });
export type StartRunsBody = z.infer<typeof StartRunsBody>;

export const CancelBody = z.strictObject({ reason: z.string().max(1000).optional() }).optional();
export type CancelBody = z.infer<typeof CancelBody>;
export const EmptyBody = z.strictObject({}).optional();

export const RunIdParams = z.object({ runId: z.string().min(1).max(200) });

/** An array means the parameter was repeated, which is an error. */
export const ListQuery = z.object({
  status: queryString(`One of ${RUN_STATUSES.join(', ')}.`),
  workflow: z.string().min(1).max(200).optional(),
  limit: queryString('1..1000, default 50.'),
  cursor: queryString('The nextCursor of the previous page.'),
});

export const EventsQuery = z.object({ since: queryString('Events after this seq; default 0.') });

/** POST /api/v1/runs: 202 for a new run, 200 when the idempotency key names an existing one. */
export const StartRunResponse = z.object({ runId: z.string(), status: RunStatusSchema });
export type StartRunResponse = z.infer<typeof StartRunResponse>;

/** An item of POST /api/v1/runs/batch: the run it started (or the one its idempotency key names), or why it started none. */
export const StartRunsItem = z.union([
  StartRunResponse.extend({ created: z.boolean().meta({ description: 'False when the idempotency key named a run that already existed.' }) }),
  ApiErrorBody,
]);
export type StartRunsItem = z.infer<typeof StartRunsItem>;

/** POST /api/v1/runs/batch: 202 with an item per run asked for, in the same order. */
export const StartRunsResponse = z.object({ items: z.array(StartRunsItem) });
export type StartRunsResponse = z.infer<typeof StartRunsResponse>;

/** POST /api/v1/runs/{runId}/cancel and /retry: 202. */
export const RunCommandResponse = z.object({ runId: z.string() });
export type RunCommandResponse = z.infer<typeof RunCommandResponse>;

/** An item of GET /api/v1/runs. */
export const RunSummary = z.object({
  runId: z.string(),
  workflow: z.string(),
  version: z.number().int(),
  status: RunStatusSchema,
  createdAt: z.number(),
  updatedAt: z.number(),
  lastSeq: z.number().int().meta({ description: 'The seq of the last event folded into the run; 0 before it started.' }),
  error: ErrorInfoSchema.optional(),
  queued: RunQueuedSchema.optional().meta({ description: 'A PENDING run held back by its concurrency limit.' }),
});
export type RunSummary = z.infer<typeof RunSummary>;

/** GET /api/v1/runs */
export const RunListResponse = z.object({
  items: z.array(RunSummary),
  nextCursor: z.string().nullable().meta({ description: 'Pass as `?cursor=` for the next page; null on the last page.' }),
  counts: z.record(RunStatusSchema, z.number().int()).meta({ description: 'Runs per status among those matching `workflow` (the status filter is not applied).' }),
});
export type RunListResponse = z.infer<typeof RunListResponse>;

/** GET /api/v1/runs/{runId}/events, as documented; its items are typed by the event union below. */
export const RunEventsSchema = z.object({ items: z.array(z.object({ seq: z.number().int(), type: z.string(), at: z.number(), data: z.unknown() })) }).meta({
  description: `Each item is one of: ${RunEventSchema.options.map((o) => o.shape.type.value).join(', ')}.`,
});

/**
 * One item of GET /api/v1/runs/{runId}/events: the event without its runId. The event union is
 * what types it (the schema above documents `data` loosely, one shape per event type).
 */
export type RunEventItem = Pick<RunEvent, 'seq' | 'type' | 'at' | 'data'>;
export interface RunEventsResponse {
  items: RunEventItem[];
}
