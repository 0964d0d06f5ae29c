/** Request and response shapes of the workflow routes. */
import { z } from 'zod';
import { RegisteredWorkflowSchema, WorkflowDefinitionSchema } from '@orchestrator-lite/core';
import { route, toJsonSchema } from './json-schema.js';

export const NameParams = z.object({ name: z.string().min(1).max(200) });
export const VersionQuery = z.object({
  version: z
    .string()
    .regex(/^[1-9][0-9]{0,8}$/, 'must be a positive integer')
    .optional()
    .meta({ description: 'An older version; default the latest.' }),
});

const Registered = z.object({ name: z.string(), version: z.number().int().min(1) });
const WorkflowSummary = z.object({
  name: z.string(),
  version: z.number().int(),
  description: z.string().optional(),
  steps: z.number().int(),
  registeredAt: z.number(),
});

/** The name may come from the path alone, so the body's `name` is optional here. */
const definitionBody = (() => {
  const json = toJsonSchema(WorkflowDefinitionSchema, 'input');
  const required = Array.isArray(json.required) ? (json.required as string[]).filter((k) => k !== 'name') : [];
  return { ...json, required, description: 'A workflow definition, as JSON or YAML (application/yaml); `name` defaults to the path.' };
})();

export const workflowSchemas = {
  put: route({ summary: 'Register a workflow definition', tag: 'workflows', params: NameParams, body: definitionBody, ok: { 200: Registered, 201: Registered }, errors: [413, 422] }),
  list: route({ summary: 'The latest version of every workflow', tag: 'workflows', ok: { 200: z.object({ items: z.array(WorkflowSummary) }) } }),
  get: route({ summary: 'A workflow definition', tag: 'workflows', params: NameParams, query: VersionQuery, ok: { 200: RegisteredWorkflowSchema.omit({ claim: true }) }, errors: [404] }),
};
