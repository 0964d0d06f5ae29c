/** The live stream's query, documented: it speaks WebSocket, so its frames are not a response body. */
import { StreamQuery } from '@orchestrator-lite/core';
import { route } from './json-schema.js';

export const streamSchemas = {
  stream: route({
    summary: 'The live event stream (WebSocket): frames {seq, runId, type, at, data, cursor?}',
    tag: 'stream',
    query: StreamQuery,
    ok: { 101: { description: 'Switching to WebSocket' } },
    errors: [426],
  }),
};
