/** The rerun route, documented from core's shapes. */
import { RerunBody, RerunResponse, RunIdParams } from '@orchestrator-lite/core';
import { route } from './json-schema.js';

export const rerunSchemas = {
  rerun: route({
    summary: 'Rerun a finished run from a step: a new run reusing the outputs of every step not downstream of it',
    tag: 'runs',
    params: RunIdParams,
    body: RerunBody,
    ok: { 202: RerunResponse },
    errors: [404, 409, 413],
  }),
};
