/** Request and response shapes of the signals route. */
import { z } from 'zod';
import { SIGNAL_PATTERN } from '../../definition/defaults.js';

export const SignalParams = z.object({
  runId: z.string().min(1).max(200),
  name: z.string().regex(SIGNAL_PATTERN).meta({ description: 'The signal a wait step waits for.' }),
});

/** POST /api/v1/runs/{runId}/signals/{name} */
export const SignalBody = z
  .strictObject({ payload: z.unknown().optional().meta({ description: "Becomes the wait step's output; default null." }) })
  .optional();
export type SignalBody = z.infer<typeof SignalBody>;

/** POST /api/v1/runs/{runId}/signals/{name}: 202 */
export const SignalAccepted = z.object({ runId: z.string(), signal: z.string() });
export type SignalAccepted = z.infer<typeof SignalAccepted>;
