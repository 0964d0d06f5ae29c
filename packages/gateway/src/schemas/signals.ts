/** Request and response shapes of the signals route. */
import { z } from 'zod';
import { SIGNAL_PATTERN } from '@orchestrator-lite/core';
import { route } from './json-schema.js';

export const SignalParams = z.object({
  runId: z.string().min(1).max(200),
  name: z.string().regex(SIGNAL_PATTERN).meta({ description: 'The signal a wait step waits for.' }),
});

export const SignalBody = z
  .strictObject({ payload: z.unknown().optional().meta({ description: "Becomes the wait step's output; default null." }) })
  .optional();

export const SignalAccepted = z.object({ runId: z.string(), signal: z.string() });

export const signalSchemas = {
  send: route({
    summary: 'Send a signal to a run: it ends the step waiting for it, or is kept until a step waits for it',
    tag: 'runs',
    params: SignalParams,
    body: SignalBody,
    ok: { 202: SignalAccepted },
    errors: [404, 409, 413],
  }),
};
