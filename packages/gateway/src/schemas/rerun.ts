/** Request and response shapes of the rerun route. */
import { z } from 'zod';
import { route } from './json-schema.js';
import { RunIdParams } from './runs.js';

export const RerunBody = z.strictObject({
  fromStep: z.string().min(1).max(200).meta({ description: 'This step and every step downstream of it run again; the others keep their outputs.' }),
  input: z.unknown().optional().meta({ description: "The new run's input; default the rerun run's input." }),
  priority: z.union([z.literal(1), z.literal(2), z.literal(3)], { error: 'must be 1 (high), 2 or 3 (low)' }).optional(),
});

export const rerunSchemas = {
  rerun: route({
    summary: 'Rerun a finished run from a step: a new run reusing the outputs of every step not downstream of it',
    tag: 'runs',
    params: RunIdParams,
    body: RerunBody,
    ok: { 202: z.object({ runId: z.string(), reused: z.array(z.string()).meta({ description: 'The steps whose outputs the new run reuses.' }) }) },
    errors: [404, 409, 413],
  }),
};
