/** The runs routes, documented from core's shapes. */
import {
  CancelBody,
  EmptyBody,
  EventsQuery,
  ListQuery,
  RunCommandResponse,
  RunEventsSchema,
  RunIdParams,
  RunListResponse,
  RunViewSchema,
  StartRunBody,
  StartRunResponse,
  StartRunsBody,
  StartRunsResponse,
} from '@orchestrator-lite/core';
import type { RunEventsResponse } from '@orchestrator-lite/core';
import type { z } from 'zod';
import { route } from './json-schema.js';

export const runSchemas = {
  start: route({
    summary: 'Start a run',
    tag: 'runs',
    body: StartRunBody,
    ok: { 200: StartRunResponse, 202: StartRunResponse },
    errors: [404, 409, 413],
  }),
  startBatch: route({
    summary: 'Start many runs: each is checked before any is written, then answers for itself',
    tag: 'runs',
    body: StartRunsBody,
    ok: { 200: StartRunsResponse, 202: StartRunsResponse },
    errors: [404, 409, 413],
  }),
  list: route({ summary: 'List runs, newest first', tag: 'runs', query: ListQuery, ok: { 200: RunListResponse } }),
  get: route({ summary: 'A run with its steps and attempts', tag: 'runs', params: RunIdParams, ok: { 200: RunViewSchema }, errors: [404] }),
  events: route({ summary: "A run's events in seq order", tag: 'runs', params: RunIdParams, query: EventsQuery, ok: { 200: RunEventsSchema }, errors: [404] }),
  cancel: route({ summary: 'Cancel a run', tag: 'runs', params: RunIdParams, body: CancelBody, ok: { 202: RunCommandResponse }, errors: [404, 409] }),
  retry: route({ summary: 'Rerun the failed steps of a finished run', tag: 'runs', params: RunIdParams, body: EmptyBody, ok: { 202: RunCommandResponse }, errors: [404, 409] }),
};

/** The event list is typed by the event union, which must fit the schema that documents it. */
type Assignable<A, B> = [A] extends [B] ? true : false;
export const eventListFitsSchema: Assignable<RunEventsResponse, z.input<typeof RunEventsSchema>> = true;
