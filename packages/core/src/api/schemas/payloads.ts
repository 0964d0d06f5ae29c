/** Request shape of the payloads route; its answer is the JSON value itself, of any shape. */
import { z } from 'zod';

export const PayloadParams = z.object({
  ref: z.string().min(1).max(200).meta({ description: 'The `ref` of a claim-check `{"$payload": {ref, bytes, sha256}}`.' }),
});
