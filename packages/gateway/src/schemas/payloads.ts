/** Request and response shapes of the payloads route. */
import { z } from 'zod';
import { route } from './json-schema.js';

export const PayloadParams = z.object({
  ref: z.string().min(1).max(200).meta({ description: 'The `ref` of a claim-check `{"$payload": {ref, bytes, sha256}}`.' }),
});

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
