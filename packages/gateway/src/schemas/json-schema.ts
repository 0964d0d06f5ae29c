/**
 * One schema gives each type: request and response shapes are declared once in zod (the handlers
 * validate with them, `z.infer` types them) and converted here to the JSON Schema that the routes
 * declare and OpenAPI serves.
 */
import { z } from 'zod';
import { ApiErrorBody } from '@orchestrator-lite/core';

export type JsonSchema = Record<string, unknown>;

/** A zod schema as JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1), describing its input. */
export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  return json;
}

const errorJson = toJsonSchema(ApiErrorBody);

/** Error responses a route may give, by status. */
export function errorResponses(...statuses: number[]): Record<number, JsonSchema> {
  return Object.fromEntries(statuses.map((status) => [status, errorJson]));
}

/** Every route may answer these: bad input, auth, rate limit, an unavailable bus. */
export const COMMON_ERRORS = [400, 401, 403, 429, 503] as const;

/** Route schema with the common error responses added. */
export interface RouteSchema {
  summary: string;
  tags: string[];
  params?: JsonSchema;
  querystring?: JsonSchema;
  body?: JsonSchema;
  response: Record<number, JsonSchema>;
}

export function route(spec: {
  summary: string;
  tag: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType | JsonSchema;
  ok: Record<number, z.ZodType | JsonSchema>;
  errors?: number[];
}): RouteSchema {
  const json = (s: z.ZodType | JsonSchema, io: 'input' | 'output'): JsonSchema => (s instanceof z.ZodType ? toJsonSchema(s, io) : s);
  const response: Record<number, JsonSchema> = {};
  for (const [status, schema] of Object.entries(spec.ok)) response[Number(status)] = json(schema, 'output');
  Object.assign(response, errorResponses(...COMMON_ERRORS, ...(spec.errors ?? [])));
  return {
    summary: spec.summary,
    tags: [spec.tag],
    ...(spec.params === undefined ? {} : { params: json(spec.params, 'input') }),
    ...(spec.query === undefined ? {} : { querystring: json(spec.query, 'input') }),
    ...(spec.body === undefined ? {} : { body: json(spec.body, 'input') }),
    response,
  };
}
