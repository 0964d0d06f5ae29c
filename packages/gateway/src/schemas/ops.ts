/** Shapes of the liveness, readiness, metrics and OpenAPI routes. */
import { z } from 'zod';
import { route } from './json-schema.js';

export const opsSchemas = {
  healthz: route({ summary: 'Liveness', tag: 'ops', ok: { 200: z.object({ status: z.literal('ok') }) } }),
  readyz: route({ summary: 'Readiness: the read model has caught up with the bus', tag: 'ops', ok: { 200: z.object({ status: z.literal('ready') }) } }),
  metrics: route({ summary: 'Prometheus metrics (text exposition format)', tag: 'ops', ok: { 200: { type: 'string' } } }),
  openapi: route({ summary: 'This document: OpenAPI 3.1', tag: 'ops', ok: { 200: { type: 'object', additionalProperties: true } } }),
};
