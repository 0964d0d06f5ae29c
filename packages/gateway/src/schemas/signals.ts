/** The signals route, documented from core's shapes. */
import { SignalAccepted, SignalBody, SignalParams } from '@orchestrator-lite/core';
import { route } from './json-schema.js';

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
