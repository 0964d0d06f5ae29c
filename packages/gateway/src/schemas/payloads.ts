/** The payloads route, documented from core's shapes. */
import { PayloadParams } from '@orchestrator-lite/core';
import { route } from './json-schema.js';

export const payloadSchemas = {
  get: route({
    summary: 'A claim-checked payload, verified against its sha256',
    tag: 'runs',
    params: PayloadParams,
    ok: {
      200: {
        description:
          'The JSON value a claim-check stands for. A run input, a task input or a step output over the inline limit ' +
          '(256 KiB by default) appears in runs, events and the stream as `{"$payload": {"ref", "bytes", "sha256"}}`; ' +
          'this route answers the value itself.',
      },
    },
    errors: [404, 502],
  }),
};
