/** Request and response shapes of the rerun route. */
import { z } from 'zod';
import { PrioritySchema } from './common.js';

/** POST /api/v1/runs/{runId}/rerun */
export const RerunBody = z.strictObject({
  fromStep: z.string().min(1).max(200).meta({ description: 'This step and every step downstream of it run again; the others keep their outputs.' }),
  input: z.unknown().optional().meta({ description: "The new run's input; default the rerun run's input." }),
  priority: PrioritySchema.optional(),
});
export type RerunBody = z.infer<typeof RerunBody>;

/** POST /api/v1/runs/{runId}/rerun: 202 */
export const RerunResponse = z.object({ runId: z.string(), reused: z.array(z.string()).meta({ description: 'The steps whose outputs the new run reuses.' }) });
export type RerunResponse = z.infer<typeof RerunResponse>;
