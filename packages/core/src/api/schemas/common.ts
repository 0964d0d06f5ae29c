/**
 * Pieces every REST schema shares: the error body, run statuses, priorities and query strings.
 * Query values arrive as strings; the routes parse them and name the field they reject.
 */
import { z } from 'zod';
import { ERROR_CODES } from '../../errors.js';
import { RunStatus } from '../../run/types.js';

/** The one error shape of the REST API. */
export const ApiErrorBody = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES as [string, ...string[]]),
      message: z.string(),
      details: z.unknown().optional().meta({ description: 'Names the offending field (`field`) and lists `issues` where there are several.' }),
    }),
  })
  .meta({ description: 'Every error: a code from the closed ORCH_* set, a message and optional details.' });
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;

export const RunStatusSchema = z.enum(RunStatus);

export const PrioritySchema = z.union([z.literal(1), z.literal(2), z.literal(3)], { error: 'must be 1 (high), 2 or 3 (low)' });

/** A query value as it arrives: a string, documented with its meaning. */
export const queryString = (description: string) => z.string().optional().meta({ description });
