/** The dead-letter routes, documented from core's shapes. */
import { DlqPageResponse, DlqListQuery, RedriveBody, RedriveResponse } from '@orchestrator-lite/core';
import { route } from './json-schema.js';

export const dlqSchemas = {
  list: route({ summary: 'Dead letters, oldest first', tag: 'dlq', query: DlqListQuery, ok: { 200: DlqPageResponse } }),
  redrive: route({
    summary: 'Re-produce dead letters to their original topics at a bounded rate',
    tag: 'dlq',
    body: RedriveBody,
    ok: { 202: RedriveResponse },
  }),
};
